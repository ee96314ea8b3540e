package config

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Zone names resolve the same on every machine, with or without a zone database.

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/suggest"
)

// zoneList holds the IANA zone names of the time zone database the Go
// release of go.mod embeds (time/tzdata), one a line, sorted. It gives typos
// a "did you mean" and tells a name that loads only because the file
// system ignores letter case (america/chicago on macOS) from a real one.
//
// To update it after a Go upgrade, run
// `go test ./internal/config -run ZoneList -update`, which rewrites it from
// $GOROOT/lib/time/zoneinfo.zip; the test fails while the two differ.
//
//go:embed zones.txt
var zoneList string

// zoneNames returns the names of zoneList.
var zoneNames = sync.OnceValue(func() []string {
	return strings.Fields(zoneList)
})

// zoneCheck is the verdict on one time zone name: a problem that makes it
// unusable, or a warning about a name that works but probably does not mean
// what was meant.
type zoneCheck struct {
	problem, warning string
}

// checkZone decides whether name is an IANA time zone EventBridge Scheduler
// accepts, and whether it is one of the old names that are not places.
func checkZone(name string) zoneCheck {
	switch name {
	case "":
		return zoneCheck{problem: "empty; give an IANA time zone, such as Europe/Stockholm or UTC"}
	case "Local":
		return zoneCheck{problem: "Local depends on the machine that synthesizes; name the zone, such as Europe/Stockholm"}
	}
	names := zoneNames()
	_, listed := slices.BinarySearch(names, name)
	if !listed {
		// A name the database spells in another case loads from a file
		// system that ignores case, but Scheduler would refuse it.
		for _, n := range names {
			if strings.EqualFold(n, name) {
				return zoneCheck{problem: fmt.Sprintf("%q is not an IANA time zone; did you mean %s? Zone names are case-sensitive", name, n)}
			}
		}
		if _, err := time.LoadLocation(name); err != nil {
			if near := nearestZone(name, names); near != "" {
				return zoneCheck{problem: fmt.Sprintf("%q is not an IANA time zone; did you mean %s?", name, near)}
			}
			return zoneCheck{problem: fmt.Sprintf("%q is not an IANA time zone; use a name such as Europe/Stockholm, America/New_York or UTC", name)}
		}
	}
	return zoneCheck{warning: legacyZone(name)}
}

// nearestZone returns the zone name that name was most likely meant to be:
// one within a few edits, or, for a bare city such as Stockholm or New York,
// the zone of that city.
func nearestZone(name string, names []string) string {
	lower := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), " ", "_"))
	best, bestDistance := "", min(3, len(lower)/3)+1
	for _, n := range names {
		ln := strings.ToLower(n)
		if !strings.Contains(lower, "/") {
			if i := strings.LastIndexByte(ln, '/'); i >= 0 && ln[i+1:] == lower {
				return n
			}
		}
		if dist := suggest.Distance(lower, ln); dist < bestDistance {
			best, bestDistance = n, dist
		}
	}
	return best
}

// legacyZones maps the zone names that are not places to the place a user
// most likely meant, and says why it matters.
var legacyZones = map[string]string{
	"EST":     "EST is a fixed offset, UTC-5, with no daylight saving time, so in summer its schedules run an hour off New York's clocks; name the place's zone, such as America/New_York",
	"MST":     "MST is a fixed offset, UTC-7, with no daylight saving time; name the place's zone, such as America/Denver, or America/Phoenix where the clocks do not change",
	"HST":     "HST is a fixed offset, UTC-10; name the place's zone, Pacific/Honolulu",
	"EST5EDT": "EST5EDT is an old POSIX-style zone that follows today's United States rules, not a place's history; name the place's zone, such as America/New_York",
	"CST6CDT": "CST6CDT is an old POSIX-style zone that follows today's United States rules, not a place's history; name the place's zone, such as America/Chicago",
	"MST7MDT": "MST7MDT is an old POSIX-style zone that follows today's United States rules, not a place's history; name the place's zone, such as America/Denver",
	"PST8PDT": "PST8PDT is an old POSIX-style zone that follows today's United States rules, not a place's history; name the place's zone, such as America/Los_Angeles",
	"CET":     "CET is an old zone name kept for compatibility; name the place's zone, such as Europe/Berlin or Europe/Paris",
	"MET":     "MET is an old zone name kept for compatibility; name the place's zone, such as Europe/Berlin or Europe/Paris",
	"EET":     "EET is an old zone name kept for compatibility; name the place's zone, such as Europe/Athens or Europe/Helsinki",
	"WET":     "WET is an old zone name kept for compatibility; name the place's zone, such as Europe/Lisbon",
}

// legacyZone returns a warning for a zone that is a fixed offset or an old
// abbreviation rather than a place, and "" for a place or UTC.
func legacyZone(name string) string {
	if w, ok := legacyZones[name]; ok {
		return w
	}
	if offset, ok := strings.CutPrefix(name, "Etc/GMT"); ok && offset != "" && offset != "+0" && offset != "-0" && offset != "0" {
		// The POSIX sign is inverted: Etc/GMT+5 is five hours behind UTC.
		sign := map[byte]string{'+': "-", '-': "+"}[offset[0]]
		return fmt.Sprintf("%s is a fixed offset, UTC%s%s (the sign in these names is inverted), with no daylight saving time; if the place changes its clocks, name its zone, such as America/New_York", name, sign, offset[1:])
	}
	return ""
}

// zone returns the rule for the time zone setting v: an IANA zone, with a
// warning for a fixed offset or an old abbreviation. The verdicts are cached,
// since a large table names few zones.
func (d *decoder) zone(v value) func(string) (string, string) {
	return func(name string) (string, string) {
		c, ok := d.zones[name]
		if !ok {
			c = checkZone(name)
			d.zones[name] = c
		}
		if c.problem == "" && c.warning != "" {
			d.warn(v.line, v.field, "%s", c.warning)
		}
		return name, c.problem
	}
}
