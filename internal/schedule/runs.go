package schedule

import "time"

// Runs returns the runs of the expression from from (inclusive) to to
// (exclusive), in the time zone loc (UTC when loc is nil). A rate
// expression has none that synth can know (see Next).
func (e *Expression) Runs(from, to time.Time, loc *time.Location) []time.Time {
	var runs []time.Time
	t, ok := e.Next(from.Add(-time.Nanosecond), loc)
	for ; ok && t.Before(to); t, ok = e.Next(t, loc) {
		runs = append(runs, t)
	}
	return runs
}

// NeverRuns reports whether a cron expression matches no time at all in
// 1970-2199, such as cron(0 8 31 2 ? *): February has no 31st. Nothing is
// meant by such a schedule. Rate and at expressions always run (an at that
// names a skipped hour is a matter of its time zone; see Next).
func (e *Expression) NeverRuns() bool {
	if e.kind != Cron {
		return false
	}
	_, ok := e.cron.next(time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond), time.UTC)
	return !ok
}

// WeekAfter returns the start of the first whole week after now: the next
// Monday, 00:00 UTC. Checks over "a week" use it, so that their answer is
// the same on whichever day of a week they run.
func WeekAfter(now time.Time) time.Time {
	d := now.UTC()
	midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	days := (int(time.Monday) - int(midnight.Weekday()) + 7) % 7
	if days == 0 {
		days = 7
	}
	return midnight.AddDate(0, 0, days)
}

// ClockChange is a day on which the clocks of a time zone skip or repeat
// wall-clock times that a cron expression matches.
type ClockChange struct {
	// Skipped is true when the clocks go forward, so that the matched
	// times do not occur that day and do not run; false when they go back
	// and the times occur twice but run once.
	Skipped bool
	// From and To are the wall-clock times, on the day of the change, that
	// are skipped or repeated: From inclusive, To exclusive. They are
	// given in UTC as plain wall-clock readings, with no zone of their own.
	From, To time.Time
	// Run is the first matched wall-clock time in From-To, in the same
	// reading.
	Run time.Time
}

// ClockChanges returns, for each change of loc's clocks within a year
// after from, whether the expression runs in the skipped or repeated time.
//
// A cron expression that also runs within the hour before and the hour
// after that time on the same day, such as one every five minutes all
// day, is left out: it loses a few of its runs but not the day's. Rate
// expressions ignore wall-clock time and at expressions run once, so only
// cron expressions are checked.
func (e *Expression) ClockChanges(from time.Time, loc *time.Location) []ClockChange {
	if e.kind != Cron || loc == nil {
		return nil
	}
	var changes []ClockChange
	end := from.AddDate(1, 0, 0)
	for t := from.In(loc); ; {
		_, next := t.ZoneBounds()
		if next.IsZero() || !next.Before(end) {
			break
		}
		_, before := next.Add(-time.Nanosecond).Zone()
		_, after := next.Zone()
		t = next
		if before == after {
			continue
		}
		// wall is the reading of loc's clock just after the change, as a
		// UTC time.
		y, mo, d := next.In(loc).Date()
		h, mi, s := next.In(loc).Clock()
		wall := time.Date(y, mo, d, h, mi, s, 0, time.UTC)
		shift := time.Duration(after-before) * time.Second
		c := ClockChange{Skipped: shift > 0, From: wall, To: wall.Add(-shift)}
		if c.Skipped {
			c.From, c.To = wall.Add(-shift), wall
		}
		run, ok := e.cron.firstWall(c.From, c.To)
		if !ok {
			continue
		}
		_, beforeOK := e.cron.firstWall(c.From.Add(-time.Hour), c.From)
		_, afterOK := e.cron.firstWall(c.To, c.To.Add(time.Hour))
		if beforeOK && afterOK {
			continue
		}
		c.Run = run
		changes = append(changes, c)
	}
	return changes
}

// firstWall returns the first wall-clock minute in [from, to), read as UTC,
// that the expression matches.
func (c *cronSpec) firstWall(from, to time.Time) (time.Time, bool) {
	for t := from.Truncate(time.Minute); t.Before(to); t = t.Add(time.Minute) {
		if t.Before(from) {
			continue
		}
		y, mo, d := t.Date()
		if c.years.has(y-minYear) && c.months.has(int(mo)) && c.daysIn(y, int(mo))&(1<<d) != 0 &&
			c.hours.has(t.Hour()) && c.minutes.has(t.Minute()) {
			return t, true
		}
	}
	return time.Time{}, false
}
