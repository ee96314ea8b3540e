package runs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

// Bounds of maxDelayMinutes and debounceMinutes, as the config allows
// them.
const (
	MinMaxDelayMinutes = 1
	MaxMaxDelayMinutes = 1440
	MinDebounceMinutes = 1
	MaxDebounceMinutes = 1440
)

// Message is a run's trigger: a start-queue message as a schedule writes
// it, {"appId": "...", "row": "...", "scheduledTime": "...", ...}, or a
// direct invocation's event.
type Message struct {
	// Event is the reload to start.
	Event reload.Event
	// Row is the config row's name; empty when a direct invocation names
	// none.
	Row string
	// ScheduledTime is the time the run is for: Scheduler's scheduled
	// time. Zero when a direct invocation does not give one.
	ScheduledTime time.Time
	// MaxDelay is the row's own lateness bound; zero means the
	// environment's.
	MaxDelay time.Duration
	// Debounce is an event row's window (debounceMinutes), zero for other
	// rows. ScheduledTime is then the event's time floored to the window,
	// so that every event of one window is the same run in the ledger and
	// starts one reload.
	Debounce time.Duration
	// DueAt is when a chain made the run due: the time its last upstream
	// was seen succeeding. Its scheduledTime is the upstream run's, hours
	// earlier after a long reload, so lateness is counted from DueAt
	// instead. For an event row's run it is the event's own time, before
	// the window floored it. Zero for other runs.
	DueAt time.Time
	// TimeZone is the row's IANA time zone, recorded with the run so that
	// alerts and the history show the scheduled time as the row reads it;
	// empty when the message has none.
	TimeZone string
}

// Due returns the time the run's lateness counts from: DueAt for a chain's
// run, else its scheduled time.
func (m Message) Due() time.Time {
	if !m.DueAt.IsZero() {
		return m.DueAt
	}
	return m.ScheduledTime
}

// runFields are the members a message has besides the event's.
var runFields = []string{"row", "scheduledTime", "maxDelayMinutes", "debounceMinutes", "dueAt", "timezone"}

// rowName is the config's pattern for row names.
var rowName = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// DecodeMessage decodes a message strictly: the event's members as
// reload.DecodeEvent checks them, plus row, scheduledTime,
// maxDelayMinutes, debounceMinutes, dueAt and timezone. requireRun says whether row and scheduledTime must be
// present (a start-queue message) or may be left out (a direct
// invocation). Every problem is reported, each naming its field, as a
// *reload.EventError.
func DecodeMessage(data []byte, requireRun bool) (Message, error) {
	members, err := reload.DecodeMembers(data)
	if err != nil {
		return Message{}, &reload.EventError{Problems: []reload.FieldError{{Problem: err.Error()}}}
	}
	var msg Message
	var problems []reload.FieldError
	add := func(field, format string, args ...any) {
		problems = append(problems, reload.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	var event bytes.Buffer
	event.WriteByte('{')
	seen := map[string]bool{}
	for _, m := range members {
		switch m.Name {
		case "row", "scheduledTime", "maxDelayMinutes", "debounceMinutes", "dueAt", "timezone":
		default:
			if i := indexFold(runFields, m.Name); i >= 0 {
				add(strconv.Quote(m.Name), "unknown field; did you mean %q?", runFields[i])
				continue
			}
			// The event's members, repeated and unknown ones included,
			// go to the event's own decoder, which reports them.
			if event.Len() > 1 {
				event.WriteByte(',')
			}
			name, _ := json.Marshal(m.Name)
			event.Write(name)
			event.WriteByte(':')
			event.Write(m.Raw)
			continue
		}
		if seen[m.Name] {
			add(m.Name, "appears more than once")
			continue
		}
		seen[m.Name] = true
		switch m.Name {
		case "row":
			var s string
			if json.Unmarshal(m.Raw, &s) != nil || !rowName.MatchString(s) {
				add("row", "must be a row name of the config table (lowercase letters, digits and single hyphens), got %s", short(string(m.Raw)))
				continue
			}
			msg.Row = s
		case "scheduledTime", "dueAt":
			var s string
			t, err := time.Time{}, error(nil)
			if err = json.Unmarshal(m.Raw, &s); err == nil {
				t, err = time.Parse(time.RFC3339, s)
			}
			if err != nil {
				add(m.Name, "must be an RFC 3339 time such as 2026-12-01T07:00:00Z (Scheduler's <aws.scheduler.scheduled-time>), got %s", short(string(m.Raw)))
				continue
			}
			if m.Name == "dueAt" {
				msg.DueAt = t.UTC()
				continue
			}
			msg.ScheduledTime = t.UTC()
		case "maxDelayMinutes", "debounceMinutes":
			lo, hi, into := MinMaxDelayMinutes, MaxMaxDelayMinutes, &msg.MaxDelay
			if m.Name == "debounceMinutes" {
				lo, hi, into = MinDebounceMinutes, MaxDebounceMinutes, &msg.Debounce
			}
			n, err := strconv.Atoi(string(m.Raw))
			if err != nil || n < lo || n > hi {
				add(m.Name, "must be a whole number from %d to %d, got %s", lo, hi, short(string(m.Raw)))
				continue
			}
			*into = time.Duration(n) * time.Minute
		case "timezone":
			var s string
			if json.Unmarshal(m.Raw, &s) != nil || s == "" || len(s) > 64 {
				add("timezone", "must be an IANA time zone name such as Europe/Stockholm, got %s", short(string(m.Raw)))
				continue
			}
			if _, err := time.LoadLocation(s); err != nil {
				add("timezone", "unknown time zone %q; use an IANA name such as Europe/Stockholm", s)
				continue
			}
			msg.TimeZone = s
		}
	}
	// Windows are counted from midnight UTC (Truncate counts from the zero
	// time, a midnight), so a window that divides a day, such as 5 or 15
	// minutes, starts on the clock's round minutes.
	if msg.Debounce > 0 {
		// The run's lateness still counts from the event itself: a
		// window longer than maxDelayMinutes must not make its later
		// events too late.
		if msg.DueAt.IsZero() {
			msg.DueAt = msg.ScheduledTime
		}
		msg.ScheduledTime = msg.ScheduledTime.Truncate(msg.Debounce)
	}
	event.WriteByte('}')
	if requireRun {
		for _, f := range runFields[:2] {
			if !seen[f] {
				add(f, "is required in a start-queue message")
			}
		}
	}
	ev, err := reload.DecodeEvent(event.Bytes())
	var evErr *reload.EventError
	switch {
	case errors.As(err, &evErr):
		problems = append(evErr.Problems, problems...)
	case err != nil:
		problems = append(problems, reload.FieldError{Problem: err.Error()})
	}
	if len(problems) > 0 {
		return Message{}, &reload.EventError{Problems: problems}
	}
	msg.Event = ev
	return msg, nil
}

func indexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}

func short(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	return s[:maxLen] + "..."
}
