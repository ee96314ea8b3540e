package schedule

import (
	"testing"
	"time"
)

// fuzzZones cover the shapes of clock changes: none, one hour at night in
// both directions, a half-hour change (Lord Howe), odd offsets (Kathmandu,
// Chatham), a whole skipped day (Apia, December 2011) and changes at
// midnight (Santiago).
var fuzzZones = []string{
	"UTC", "Europe/Stockholm", "America/New_York", "Australia/Lord_Howe",
	"Asia/Kathmandu", "Pacific/Chatham", "Pacific/Apia", "America/Santiago",
}

// FuzzParse checks that Parse never panics, that an accepted expression
// round-trips, and that Next terminates with a run strictly after after
// that the expression matches, skipping none in between.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"cron(0/5 8-17 ? * MON-FRI *)", "cron(*/7 * * * ? *)", "cron(0 0 L * ? *)",
		"cron(0 18 LW * ? *)", "cron(0 9 31W * ? *)", "cron(0 9 1W * ? *)",
		"cron(0 9 ? * 5L *)", "cron(0 9 ? * 6#3 *)", "cron(0 9 ? * L *)",
		"cron(0 0 29 2 ? 2196)", "cron(0 0 30 2 ? *)", "cron(30 2 * * ? *)",
		"cron(0,30 0-3 * * ? 2011-2012)", "cron(0 0 1 jan-dec/5 ? 1970-2199/3)",
		"rate(1 minute)", "rate(5 minutes)", "at(2026-03-29T02:30:00)",
		"at(2011-12-30T12:00:00)", "cron(0 10 * * * *)", "cron(0 22-2 * * ? *)",
	}
	for i, s := range seeds {
		f.Add(s, int64(i)*7919*86400+1300000000, uint8(i))
	}
	locs := make([]*time.Location, len(fuzzZones))
	for i, name := range fuzzZones {
		locs[i] = mustLoad(f, name)
	}
	lo := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2210, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

	f.Fuzz(func(t *testing.T, expr string, afterSeconds int64, zone uint8) {
		e, err := Parse(expr)
		if err != nil {
			if e != nil || err.Error() == "" {
				t.Fatalf("Parse(%q) = %v, %q", expr, e, err)
			}
			return
		}
		if e.String() != expr {
			t.Fatalf("String() = %q, want %q", e.String(), expr)
		}
		loc := locs[int(zone)%len(locs)]
		span := hi - lo
		after := time.Unix(lo+((afterSeconds%span)+span)%span, 0)

		next, ok := e.Next(after, loc)
		switch e.Kind() {
		case Rate:
			if ok || e.Every() <= 0 {
				t.Fatalf("rate: Next = %v, %v; Every = %v", next, ok, e.Every())
			}
			return
		case At:
			a := e.at
			at, exists := resolve(loc, a.year, a.month, a.day, a.hour, a.minute, a.second)
			want := exists && at.After(after)
			if ok != want || ok && !next.Equal(at) {
				t.Fatalf("at: Next(%v) = %v, %v; want %v, %v", after, next, ok, at, want)
			}
			return
		}

		if ok {
			if !next.After(after) {
				t.Fatalf("Next(%v) = %v, not after", after, next)
			}
			if !oracleMatches(&e.cron, next, loc) {
				t.Fatalf("Next(%v) = %v, which %s does not match in %s", after, next, expr, loc)
			}
		}
		// No run may be skipped: look at every minute of the next 36 hours
		// (or up to the run Next found).
		limit := after.Add(36 * time.Hour)
		if ok && next.Before(limit) {
			limit = next
		}
		for u := after.Truncate(time.Minute).Add(time.Minute); u.Before(limit); u = u.Add(time.Minute) {
			if oracleMatches(&e.cron, u, loc) {
				t.Fatalf("Next(%v) = %v, %v, but %v matches earlier", after, next, ok, u)
			}
		}
	})
}

// oracleMatches reports whether the cron expression runs at instant t in
// loc. It decides days independently of daysIn, from the calendar, so that
// the fuzz test compares two implementations.
func oracleMatches(c *cronSpec, t time.Time, loc *time.Location) bool {
	w := t.In(loc)
	if w.Second() != 0 || w.Nanosecond() != 0 {
		return false
	}
	y, mo, d := w.Date()
	if y < minYear || y > maxYear || !c.years.has(y-minYear) || !c.months.has(int(mo)) ||
		!c.hours.has(w.Hour()) || !c.minutes.has(w.Minute()) || !oracleDay(c, y, mo, d) {
		return false
	}
	// A repeated wall-clock time runs only the first time: the same wall
	// time must not have been shown in the three hours before.
	for back := time.Minute; back <= 3*time.Hour; back += time.Minute {
		p := t.Add(-back).In(loc)
		py, pmo, pd := p.Date()
		if py == y && pmo == mo && pd == d && p.Hour() == w.Hour() && p.Minute() == w.Minute() {
			return false
		}
	}
	return true
}

func oracleDay(c *cronSpec, y int, mo time.Month, d int) bool {
	date := func(day int) time.Time { return time.Date(y, mo, day, 12, 0, 0, 0, time.UTC) }
	last := date(1).AddDate(0, 1, -1).Day()
	wd := date(d).Weekday()
	weekend := func(day int) bool { w := date(day).Weekday(); return w == time.Saturday || w == time.Sunday }
	switch c.rule {
	case daysPlain:
		if c.byWeekday {
			return c.days.has(int(wd) + 1)
		}
		return c.days.has(d)
	case daysLast:
		return d == last
	case daysLastWeekday:
		lw := last
		for weekend(lw) {
			lw--
		}
		return d == lw
	case daysNearestWeekday:
		n := c.ruleDay
		if n > last || weekend(d) {
			return false
		}
		// The nearest weekday inside the month: the day itself, or the
		// closest non-weekend day, preferring the earlier on a tie.
		best := 0
		for day := 1; day <= last; day++ {
			if weekend(day) {
				continue
			}
			if best == 0 || abs(day-n) < abs(best-n) {
				best = day
			}
		}
		return d == best
	case daysLastOfWeek:
		return int(wd)+1 == c.ruleDay && d+7 > last
	case daysNth:
		return int(wd)+1 == c.ruleDay && (d-1)/7+1 == c.ruleNth
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
