// Package schedule parses and evaluates EventBridge Scheduler schedule
// expressions: cron(...), rate(...) and at(...).
//
// Parse accepts exactly what EventBridge Scheduler documents, so that a
// configuration that loads also deploys: an expression the service would
// reject at deploy time is rejected here, at synth time, with a message that
// names the cause and the fix. Where the documentation is silent, the package
// follows the behaviour of the Quartz cron syntax that EventBridge derives
// from, and each such choice is explained where it is made.
//
// Next computes the next run of a cron or at expression the way Scheduler
// does, daylight saving time included, so that people can see when a schedule
// will run before they deploy it. The package is pure Go with no AWS or CDK
// dependency, and never reads the clock: the same input always gives the same
// answer.
//
// Reference: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a schedule expression.
type Kind uint8

// The three kinds of schedule EventBridge Scheduler supports.
const (
	// Cron runs at the wall-clock times a cron(...) expression matches, in
	// the schedule's time zone.
	Cron Kind = iota + 1
	// Rate runs at a fixed interval, rate(...), starting when the schedule
	// is created.
	Rate
	// At runs once, at(...), at a wall-clock time in the schedule's time
	// zone.
	At
)

// String returns the expression keyword of the kind: "cron", "rate" or "at".
func (k Kind) String() string {
	switch k {
	case Cron:
		return "cron"
	case Rate:
		return "rate"
	case At:
		return "at"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Expression is a parsed schedule expression. The zero value is not useful;
// obtain one from Parse. An Expression is immutable and safe for concurrent
// use.
type Expression struct {
	text string
	kind Kind

	cron cronSpec

	// rateValue and rateUnit describe rate(value unit); rateUnit is one
	// minute, hour or day.
	rateValue int
	rateUnit  time.Duration

	// at is the wall-clock time of an at(...) expression.
	at wallTime
}

// wallTime is a calendar date and time of day without a time zone.
type wallTime struct {
	year, month, day, hour, minute, second int
}

// Parse parses a schedule expression exactly as EventBridge Scheduler accepts
// it: cron(minutes hours day-of-month month day-of-week year), rate(value
// unit) or at(yyyy-mm-ddThh:mm:ss).
//
// The error, when there is one, is a single lowercase sentence naming the
// cause and the fix, without a prefix: the caller adds where the expression
// came from.
func Parse(expr string) (*Expression, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("the schedule is empty; write cron(...), rate(...) or at(...), for example cron(0 6 ? * MON-FRI *)")
	}
	if strings.TrimSpace(expr) != expr {
		return nil, fmt.Errorf("the schedule has spaces around it; remove them")
	}
	open := strings.IndexByte(expr, '(')
	if open < 0 {
		if len(strings.Fields(expr)) >= 5 {
			return nil, fmt.Errorf("%q looks like a bare cron line; wrap it as cron(...) with six fields: minutes hours day-of-month month day-of-week year", expr)
		}
		return nil, fmt.Errorf("%q is not a schedule expression; write cron(...), rate(...) or at(...)", expr)
	}
	keyword := expr[:open]
	if !strings.HasSuffix(expr, ")") {
		return nil, fmt.Errorf("%s( is missing its closing parenthesis; end the expression with )", keyword)
	}
	inner := expr[open+1 : len(expr)-1]
	if strings.ContainsAny(inner, "()") {
		return nil, fmt.Errorf("the schedule has more than one pair of parentheses; write one cron(...), rate(...) or at(...)")
	}

	e := &Expression{text: expr}
	var err error
	// The keywords are lowercase in every AWS example and the documentation
	// never says another spelling works, so only lowercase is accepted.
	switch keyword {
	case "cron":
		e.kind = Cron
		e.cron, err = parseCron(inner)
	case "rate":
		e.kind = Rate
		e.rateValue, e.rateUnit, err = parseRate(expr, inner)
	case "at":
		e.kind = At
		e.at, err = parseAt(expr, inner)
	default:
		switch strings.ToLower(keyword) {
		case "cron", "rate", "at":
			return nil, fmt.Errorf("write %s in lowercase: %s(...)", keyword, strings.ToLower(keyword))
		}
		return nil, fmt.Errorf("%q is not a schedule type; write cron(...), rate(...) or at(...)", keyword)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// String returns the expression exactly as it was parsed: the text to give
// to EventBridge Scheduler.
func (e *Expression) String() string { return e.text }

// Kind returns whether the expression is a cron, rate or at expression.
func (e *Expression) Kind() Kind { return e.kind }

// Every returns the interval of a rate expression (rate(5 minutes) is five
// minutes; a day is 24 hours) and 0 for cron and at expressions. Rate
// schedules start when they are created, so Next cannot say when they run;
// callers show the interval instead (see Describe).
func (e *Expression) Every() time.Duration {
	if e.kind != Rate {
		return 0
	}
	return time.Duration(e.rateValue) * e.rateUnit
}

// Describe returns a short description for people: "every 5 minutes" or
// "every day" for a rate, "once at 2026-03-01 06:00:00" for an at
// expression. A cron expression is returned as written, since paraphrasing
// cron loses detail; show its next runs (Next) instead.
func (e *Expression) Describe() string {
	switch e.kind {
	case Rate:
		unit := map[time.Duration]string{time.Minute: "minute", time.Hour: "hour", 24 * time.Hour: "day"}[e.rateUnit]
		if e.rateValue == 1 {
			return "every " + unit
		}
		return fmt.Sprintf("every %d %ss", e.rateValue, unit)
	case At:
		a := e.at
		return fmt.Sprintf("once at %04d-%02d-%02d %02d:%02d:%02d", a.year, a.month, a.day, a.hour, a.minute, a.second)
	}
	return e.text
}

// maxRate holds, per unit, the largest rate value whose interval still fits
// in a time.Duration (about 292 years). EventBridge documents no maximum; no
// real schedule comes near these.
var maxRate = map[time.Duration]int{
	time.Minute:    int((1<<63 - 1) / int64(time.Minute)),
	time.Hour:      int((1<<63 - 1) / int64(time.Hour)),
	24 * time.Hour: int((1<<63 - 1) / int64(24*time.Hour)),
}

// parseRate parses the inside of rate(value unit). expr is the whole
// expression, quoted in messages because the fix is easiest to see there.
func parseRate(expr, inner string) (int, time.Duration, error) {
	parts := strings.Fields(inner)
	if len(parts) != 2 || strings.Count(inner, " ") != 1 {
		return 0, 0, fmt.Errorf("%s: write a number and a unit separated by one space, for example rate(5 minutes)", expr)
	}
	valueText, unitText := parts[0], parts[1]
	for _, c := range valueText {
		if c < '0' || c > '9' {
			return 0, 0, fmt.Errorf("%s: %q is not a whole number; write a positive whole number, for example rate(5 minutes)", expr, valueText)
		}
	}
	if strings.TrimLeft(valueText, "0") == "" {
		return 0, 0, fmt.Errorf("%s: the value must be at least 1", expr)
	}
	if valueText[0] == '0' {
		return 0, 0, fmt.Errorf("%s: remove the leading zeros from %s", expr, valueText)
	}

	singular := strings.TrimSuffix(strings.ToLower(unitText), "s")
	var unit time.Duration
	switch singular {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return 0, 0, fmt.Errorf("%s: the unit must be minute(s), hour(s) or day(s)", expr)
	}
	if unitText != strings.ToLower(unitText) {
		return 0, 0, fmt.Errorf("%s: write the unit in lowercase: %s", expr, strings.ToLower(unitText))
	}

	value, err := strconv.Atoi(valueText)
	if err != nil || value > maxRate[unit] {
		return 0, 0, fmt.Errorf("%s: the value is too large; the largest is %d %ss", expr, maxRate[unit], singular)
	}
	plural := strings.HasSuffix(unitText, "s")
	if value == 1 && plural {
		return 0, 0, fmt.Errorf("%s: use the singular for a value of 1: rate(1 %s)", expr, singular)
	}
	if value > 1 && !plural {
		return 0, 0, fmt.Errorf("%s: use the plural for a value above 1: rate(%d %ss)", expr, value, singular)
	}
	return value, unit, nil
}

// parseAt parses the inside of at(yyyy-mm-ddThh:mm:ss). It checks that the
// date exists in the calendar but never compares it with the current time:
// synth must give the same answer on every day.
func parseAt(expr, inner string) (wallTime, error) {
	const example = "at(2026-03-01T06:00:00)"
	if strings.HasSuffix(inner, "Z") || strings.ContainsAny(inner, "+") ||
		(len(inner) > 19 && (inner[19] == '-' || inner[19] == '.')) {
		return wallTime{}, fmt.Errorf("%s: remove the time zone or fraction; at() takes a local date and time, and the time zone is set separately", expr)
	}
	layout := "dddd-dd-ddTdd:dd:dd"
	ok := len(inner) == len(layout)
	for i := 0; ok && i < len(layout); i++ {
		if layout[i] == 'd' {
			ok = inner[i] >= '0' && inner[i] <= '9'
		} else {
			ok = inner[i] == layout[i]
		}
	}
	if !ok {
		return wallTime{}, fmt.Errorf("%s: write the date and time as yyyy-mm-ddThh:mm:ss, for example %s", expr, example)
	}
	num := func(from, to int) int {
		n, _ := strconv.Atoi(inner[from:to])
		return n
	}
	w := wallTime{num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19)}
	switch {
	case w.year < minYear || w.year > maxYear:
		return wallTime{}, fmt.Errorf("%s: the year %d is out of range %d-%d", expr, w.year, minYear, maxYear)
	case w.month < 1 || w.month > 12:
		return wallTime{}, fmt.Errorf("%s: the month %02d is out of range 01-12", expr, w.month)
	case w.day < 1 || w.day > daysInMonth(w.year, w.month):
		return wallTime{}, fmt.Errorf("%s: %s %d has no day %02d; it has %d days", expr, time.Month(w.month), w.year, w.day, daysInMonth(w.year, w.month))
	case w.hour > 23:
		return wallTime{}, fmt.Errorf("%s: the hour %02d is out of range 00-23", expr, w.hour)
	case w.minute > 59:
		return wallTime{}, fmt.Errorf("%s: the minute %02d is out of range 00-59", expr, w.minute)
	case w.second > 59:
		return wallTime{}, fmt.Errorf("%s: the second %02d is out of range 00-59", expr, w.second)
	}
	return w, nil
}

// daysInMonth returns the number of days of a month in the proleptic
// Gregorian calendar.
func daysInMonth(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
