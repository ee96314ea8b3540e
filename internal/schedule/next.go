package schedule

import "time"

// Next returns the first run of the expression strictly after after, in the
// time zone loc (UTC when loc is nil), and true; or false when there is none.
//
// A cron expression runs at the wall-clock times it matches in loc, the way
// EventBridge Scheduler handles daylight saving time: a time that falls in
// the hour skipped in spring does not run that day, and a time in the hour
// repeated in autumn runs once, at its first occurrence. An at expression
// runs once (never, if its time falls in a skipped hour); Next returns false
// once it is past. A rate expression always returns false: it runs from the
// moment the schedule is created, which synth cannot know; use Every.
//
// Next walks candidate days, not minutes, so it is fast even for schedules
// that run once in many years or never again.
func (e *Expression) Next(after time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch e.kind {
	case Cron:
		return e.cron.next(after, loc)
	case At:
		a := e.at
		t, ok := resolve(loc, a.year, a.month, a.day, a.hour, a.minute, a.second)
		if !ok || !t.After(after) {
			return time.Time{}, false
		}
		return t, true
	}
	return time.Time{}, false
}

// next returns the first run strictly after after. It visits the wall-clock
// minutes the expression matches in increasing order, from the wall-clock
// minute of after, and returns the first whose instant is after after. The
// first instant of a wall-clock time never decreases as the wall-clock time
// increases, so no run is missed; only in an hour repeated in autumn are a
// few candidates visited and passed over.
func (c *cronSpec) next(after time.Time, loc *time.Location) (time.Time, bool) {
	w := after.In(loc)
	sy, smo, sd := w.Date()
	start := wallTime{year: sy, month: int(smo), day: sd, hour: w.Hour(), minute: w.Minute()}
	if start.year < minYear {
		start = wallTime{year: minYear, month: 1, day: 1}
	}
	for y := start.year; y <= maxYear; y++ {
		if !c.years.has(y - minYear) {
			continue
		}
		firstMonth := 1
		if y == start.year {
			firstMonth = start.month
		}
		for mo := firstMonth; mo <= 12; mo++ {
			if !c.months.has(mo) {
				continue
			}
			days := c.daysIn(y, mo)
			firstDay := 1
			if y == start.year && mo == start.month {
				firstDay = start.day
			}
			for d := firstDay; d <= 31; d++ {
				if days&(1<<d) == 0 {
					continue
				}
				onStartDay := y == start.year && mo == start.month && d == start.day
				for h := 0; h < 24; h++ {
					if !c.hours.has(h) || onStartDay && h < start.hour {
						continue
					}
					for mi := 0; mi < 60; mi++ {
						if !c.minutes.has(mi) || onStartDay && h == start.hour && mi < start.minute {
							continue
						}
						if t, ok := resolve(loc, y, mo, d, h, mi, 0); ok && t.After(after) {
							return t, true
						}
					}
				}
			}
		}
	}
	return time.Time{}, false
}

// daysIn returns the days of the month (bit d for day d) that the day
// fields select.
func (c *cronSpec) daysIn(year, month int) uint32 {
	n := daysInMonth(year, month)
	// first is the weekday of day 1, 0 = Sunday.
	first := int(time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC).Weekday())
	weekday := func(d int) int { return (first + d - 1) % 7 }
	var days uint32
	switch c.rule {
	case daysPlain:
		for d := 1; d <= n; d++ {
			if c.byWeekday && c.days.has(weekday(d)+1) || !c.byWeekday && c.days.has(d) {
				days |= 1 << d
			}
		}
	case daysLast:
		days = 1 << n
	case daysLastWeekday:
		d := n
		switch weekday(d) {
		case 6:
			d--
		case 0:
			d -= 2
		}
		days = 1 << d
	case daysNearestWeekday:
		// A month without the day is skipped, as EventBridge does (Quartz
		// would move 31W to the last weekday instead), and the nearest
		// weekday never leaves the month: 1W on a Saturday is Monday the
		// 3rd, and a Sunday on the last day moves back to Friday.
		d := c.ruleDay
		if d > n {
			return 0
		}
		switch weekday(d) {
		case 6:
			if d > 1 {
				d--
			} else {
				d += 2
			}
		case 0:
			if d < n {
				d++
			} else {
				d -= 2
			}
		}
		days = 1 << d
	case daysLastOfWeek:
		d := n - (weekday(n)-(c.ruleDay-1)+7)%7
		days = 1 << d
	case daysNth:
		d := 1 + (c.ruleDay-1-first+7)%7 + 7*(c.ruleNth-1)
		if d <= n {
			days = 1 << d
		}
	}
	return days
}

// resolve returns the first instant at which the wall clock in loc shows
// the given date and time, or false when that time does not exist there
// because the clocks skipped it.
func resolve(loc *time.Location, year, month, day, hour, minute, second int) (time.Time, bool) {
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, loc)
	if t.Day() != day || t.Hour() != hour || t.Minute() != minute || t.Second() != second {
		// time.Date moved a time that does not exist out of the gap.
		return time.Time{}, false
	}
	// When the clocks went back at the start of t's zone period, the same
	// wall-clock time may also have occurred just before, and time.Date
	// does not promise which of the two it returns.
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t, true
	}
	_, offset := t.Zone()
	_, before := start.Add(-time.Nanosecond).Zone()
	if before > offset {
		earlier := t.Add(-time.Duration(before-offset) * time.Second)
		if earlier.Before(start) && sameWall(earlier.In(loc), year, month, day, hour, minute, second) {
			return earlier, true
		}
	}
	return t, true
}

// sameWall reports whether t shows the given date and time.
func sameWall(t time.Time, year, month, day, hour, minute, second int) bool {
	y, mo, d := t.Date()
	return y == year && int(mo) == month && d == day && t.Hour() == hour && t.Minute() == minute && t.Second() == second
}
