package config

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/schedule"
)

// The checks in this file depend on the date, so Load, which must give the
// same answer on every day, does not make them: the caller passes the
// clock's time. app.go refuses to synthesize a row that will never run
// again (Stale); the summary of make synth prints RunWarnings.

// whenFormat shows a run in its row's time zone.
const whenFormat = "Mon 2 Jan 2006 15:04 MST"

// Stale returns a problem for each enabled row that has no run after now:
// an at(...) whose time has passed, or a cron(...) whose years have. Such a
// row would deploy a schedule that never fires, which nobody means.
func (c *Config) Stale(now time.Time) Problems {
	var problems Problems
	rows := c.parseRows()
	for i, r := range c.Reloads {
		expr, loc := rows[i].expr, rows[i].loc
		if !rows[i].ok || !r.Enabled || expr.Kind() == schedule.Rate {
			continue
		}
		if _, next := expr.Next(now, loc); next {
			continue
		}
		msg := fmt.Sprintf("%s has no run after now (%s), so the schedule would never run; remove the row, or give a later date", r.Schedule, now.In(loc).Format(whenFormat))
		if expr.Kind() == schedule.Cron {
			msg = fmt.Sprintf("%s has no run after now (%s): the years it names have passed; remove the row, or change its year field", r.Schedule, now.In(loc).Format(whenFormat))
		}
		problems = append(problems, Problem{File: c.Path, Line: r.Line, Field: fmt.Sprintf("reloads[%d]", i), Message: msg})
	}
	return problems
}

// RunWarnings returns what the rows' runs, counted from now, do that is
// probably not meant, sorted by line: a row in the hour its zone's clocks
// skip or repeat, and two rows that start the same app in the same minute.
// It does not include the warnings of Load (see Config.Warnings).
func (c *Config) RunWarnings(now time.Time) Problems {
	var warnings Problems
	rows := c.parseRows()
	for i, r := range c.Reloads {
		if !rows[i].ok || !r.Enabled {
			continue
		}
		if msg := r.clockChangeWarning(rows[i].expr, rows[i].loc, now); msg != "" {
			warnings = append(warnings, Problem{File: c.Path, Line: r.Line, Field: fmt.Sprintf("reloads[%d]", i), Message: msg})
		}
	}
	warnings = append(warnings, c.sameMinuteWarnings(rows, now)...)
	warnings.sortByLine()
	return warnings
}

// parsed is a row's expression and time zone, which Load has checked; ok
// is false if they do not parse all the same.
type parsed struct {
	expr *schedule.Expression
	loc  *time.Location
	ok   bool
}

// parseRows parses every row's schedule and zone once, loading each zone
// once: loading one reads the zone database.
func (c *Config) parseRows() []parsed {
	zones := map[string]*time.Location{}
	rows := make([]parsed, len(c.Reloads))
	for i, r := range c.Reloads {
		expr, err := schedule.Parse(r.Schedule)
		if err != nil {
			continue
		}
		loc, known := zones[r.Timezone]
		if !known {
			if loc, err = time.LoadLocation(r.Timezone); err != nil {
				continue
			}
			zones[r.Timezone] = loc
		}
		rows[i] = parsed{expr, loc, true}
	}
	return rows
}

// clockChangeWarning says when a row runs in the hour its zone's clocks
// skip or repeat within the year after now, or returns "".
func (r Reload) clockChangeWarning(expr *schedule.Expression, loc *time.Location, now time.Time) string {
	changes := expr.ClockChanges(now, loc)
	if len(changes) == 0 {
		return ""
	}
	var skipped, repeated *schedule.ClockChange
	for i := range changes {
		switch {
		case changes[i].Skipped && skipped == nil:
			skipped = &changes[i]
		case !changes[i].Skipped && repeated == nil:
			repeated = &changes[i]
		}
	}
	const day, clock = "Mon 2 Jan 2006", "15:04"
	var what []string
	if skipped != nil {
		what = append(what, fmt.Sprintf("the clocks skip %s-%s on %s, so it does not run that day", skipped.From.Format(clock), skipped.To.Format(clock), skipped.From.Format(day)))
	}
	if repeated != nil {
		what = append(what, fmt.Sprintf("they repeat %s-%s on %s, and it runs once, not twice", repeated.From.Format(clock), repeated.To.Format(clock), repeated.From.Format(day)))
	}
	first := changes[0]
	return fmt.Sprintf("%s runs at %s in %s, where %s; move it out of %s-%s, or use UTC",
		r.Schedule, first.Run.Format(clock), r.Timezone, strings.Join(what, "; "), first.From.Format(clock), first.To.Format(clock))
}

// sameMinuteWindow is how far ahead rows of one app are compared: five
// weeks hold every weekday and every day of a month, so weekly and monthly
// schedules meet in it if they ever do (yearly ones may not).
const sameMinuteWindow = 35 * 24 * time.Hour

// sameMinuteWarnings warns of an enabled row that starts an app in the same
// minute as a row above it. The function starts nothing when a reload of the
// app is already queued or running, so one of the two starts is dropped, and
// with it its partial flag and variables. Rows with a flexible window are
// left out: Scheduler spreads them, so they may or may not meet. Each row is
// warned about once, for its first such minute, so that the cost and the
// output grow with the rows, not with their pairs.
func (c *Config) sameMinuteWarnings(rows []parsed, now time.Time) Problems {
	from := schedule.WeekAfter(now)
	to := from.Add(sameMinuteWindow)
	// starts maps each app's start minutes (Unix seconds: a time.Time key
	// would tell zones apart) to the first row that starts it then.
	starts := map[string]map[int64]int{}
	var warnings Problems
	for i, r := range c.Reloads {
		expr, loc := rows[i].expr, rows[i].loc
		if !rows[i].ok || !r.Enabled || r.FlexibleWindowMinutes > 0 || expr.Kind() == schedule.Rate {
			continue
		}
		byMinute := starts[r.AppID]
		if byMinute == nil {
			byMinute = map[int64]int{}
			starts[r.AppID] = byMinute
		}
		warned := false
		for _, t := range expr.Runs(from, to, loc) {
			other, taken := byMinute[t.Unix()]
			if !taken {
				byMinute[t.Unix()] = i
				continue
			}
			if warned {
				continue
			}
			warned = true
			first := c.Reloads[other]
			dropped := "one of the two rows is redundant then"
			if !sameRequest(first, r) {
				dropped = "whichever comes second is lost without notice, with its partial flag and variables"
			}
			warnings = append(warnings, Problem{
				File: c.Path, Line: r.Line, Field: fmt.Sprintf("reloads[%d]", i),
				Message: fmt.Sprintf("%s starts app %s in the same minute as %s (line %d), first on %s; the function starts one reload and skips the other as already active, so %s; move one of them by a few minutes",
					r.Name, r.AppID, first.Name, first.Line, t.In(loc).Format(whenFormat), dropped),
			})
		}
	}
	return warnings
}

// sameRequest reports whether two rows ask Qlik for the same reload: the
// same partial flag, variables and weight. Their messages always differ, by
// the row's name at least, so comparing those would call every pair different.
func sameRequest(a, b Reload) bool {
	partial := func(r Reload) bool { return r.Partial != nil && *r.Partial }
	return partial(a) == partial(b) && a.Weight == b.Weight && maps.Equal(a.Variables, b.Variables)
}
