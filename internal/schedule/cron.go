package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// The year range of EventBridge cron expressions.
const (
	minYear = 1970
	maxYear = 2199
)

// bitset holds a set of small non-negative integers (0-255).
type bitset [4]uint64

func (b *bitset) add(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b *bitset) has(i int) bool { return i >= 0 && i < 256 && b[i>>6]&(1<<(i&63)) != 0 }
func (b *bitset) addRange(lo, hi, step int) {
	for i := lo; i <= hi; i += step {
		b.add(i)
	}
}

// dayRule says how the day-of-month or day-of-week field picks days when it
// is not a plain set of values.
type dayRule uint8

const (
	// daysPlain uses the field's set of values.
	daysPlain dayRule = iota
	// daysLast is L in day-of-month: the last day of the month.
	daysLast
	// daysLastWeekday is LW in day-of-month: the last weekday (Monday to
	// Friday) of the month.
	daysLastWeekday
	// daysNearestWeekday is nW in day-of-month: the weekday nearest to day
	// n, without leaving the month.
	daysNearestWeekday
	// daysLastOfWeek is nL in day-of-week: the last day n of the month
	// (5L is the last Thursday).
	daysLastOfWeek
	// daysNth is d#n in day-of-week: the nth day d of the month (6#3 is
	// the third Friday).
	daysNth
)

// cronSpec is a parsed cron expression. Fields hold raw values (minutes
// 0-59, hours 0-23, days 1-31, months 1-12, days of the week 1-7 with
// 1 = Sunday) except years, stored as year-1970.
type cronSpec struct {
	minutes, hours, months, years bitset

	// byWeekday is true when day-of-month is ? and day-of-week picks the
	// days; otherwise day-of-week is ? and day-of-month picks them.
	byWeekday bool
	// days is the plain set of the field that picks the days.
	days bitset
	// rule, ruleDay and ruleNth describe a special day rule: ruleDay is
	// the n of nW, the weekday of nL, or the weekday of d#n, whose n is
	// ruleNth.
	rule    dayRule
	ruleDay int
	ruleNth int
}

// fieldSpec describes one cron field for parsing and messages.
type fieldSpec struct {
	name     string
	min, max int
	// maxStep is the largest increment after /. It follows Quartz, which
	// EventBridge's cron derives from: EventBridge rejects */60 in
	// minutes, so an increment may not exceed the field's largest value.
	maxStep int
	// names maps three-letter names to values (months and weekdays).
	names map[string]int
	// hint is how to write a valid value, for messages.
	hint string
	// offset is subtracted from a value to give its bit: years are stored
	// from 1970 so that they fit a bitset.
	offset int
}

var (
	minutesField = fieldSpec{name: "minutes", min: 0, max: 59, maxStep: 59, hint: "0-59"}
	hoursField   = fieldSpec{name: "hours", min: 0, max: 23, maxStep: 23, hint: "0-23"}
	domField     = fieldSpec{name: "day-of-month", min: 1, max: 31, maxStep: 31, hint: "1-31"}
	monthField   = fieldSpec{name: "month", min: 1, max: 12, maxStep: 12, hint: "1-12 or JAN-DEC", names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}}
	dowField = fieldSpec{name: "day-of-week", min: 1, max: 7, hint: "1-7 (1 = SUN) or SUN-SAT", names: map[string]int{
		"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7,
	}}
	// An increment of a year field may span the whole range; Quartz sets
	// no limit there and a larger one could never repeat.
	yearField = fieldSpec{name: "year", min: minYear, max: maxYear, maxStep: maxYear - minYear, hint: "1970-2199", offset: minYear}
)

// parseCron parses the inside of cron(...).
func parseCron(inner string) (cronSpec, error) {
	fields := strings.Fields(inner)
	if strings.ContainsAny(inner, "\t\n\r\v\f") {
		return cronSpec{}, fmt.Errorf("separate the cron fields with spaces only")
	}
	const six = "cron needs 6 fields (minutes hours day-of-month month day-of-week year)"
	switch n := len(fields); {
	case n == 5:
		return cronSpec{}, fmt.Errorf("%s, got 5; add the year field, for example * for every year", six)
	case n == 7:
		return cronSpec{}, fmt.Errorf("%s, got 7; EventBridge Scheduler has no seconds field, so remove the first one", six)
	case n != 6:
		return cronSpec{}, fmt.Errorf("%s, got %d; write all six, for example cron(0 6 ? * MON-FRI *)", six, n)
	}

	var c cronSpec
	for _, f := range []struct {
		spec *fieldSpec
		text string
		dst  *bitset
	}{
		{&minutesField, fields[0], &c.minutes},
		{&hoursField, fields[1], &c.hours},
		{&monthField, fields[3], &c.months},
		{&yearField, fields[5], &c.years},
	} {
		set, err := f.spec.parsePlain(f.text)
		if err != nil {
			return cronSpec{}, err
		}
		*f.dst = set
	}
	dom, dow := fields[2], fields[4]
	domDays, domRule, domArg, _, err := parseDayOfMonth(dom)
	if err != nil {
		return cronSpec{}, err
	}
	dowDays, dowRule, dowArg, dowNth, err := parseDayOfWeek(dow)
	if err != nil {
		return cronSpec{}, err
	}
	switch {
	case dom == "?" && dow == "?":
		return cronSpec{}, fmt.Errorf("day-of-month and day-of-week cannot both be ?; set one of them, for example * in day-of-month for every day")
	case dom != "?" && dow != "?":
		return cronSpec{}, fmt.Errorf("day-of-month and day-of-week cannot both be set; use ? in one of them")
	case dom == "?":
		c.byWeekday, c.days, c.rule, c.ruleDay, c.ruleNth = true, dowDays, dowRule, dowArg, dowNth
	default:
		c.days, c.rule, c.ruleDay = domDays, domRule, domArg
	}
	return c, nil
}

// parseDayOfMonth parses the day-of-month field: plain values, ?, L, LW or
// nW. L, LW and nW must stand alone, as in Quartz, which rejects them in
// lists.
func parseDayOfMonth(text string) (bitset, dayRule, int, int, error) {
	f := &domField
	if text == "?" {
		return bitset{}, daysPlain, 0, 0, nil
	}
	upper := strings.ToUpper(text)
	special := strings.ContainsAny(upper, "LW")
	if !special {
		set, err := f.parsePlain(text)
		return set, daysPlain, 0, 0, err
	}
	if strings.ContainsAny(text, ",") {
		return bitset{}, 0, 0, 0, fmt.Errorf("day-of-month: L and W cannot be combined with other values in %q; use one of them alone", text)
	}
	switch {
	case upper == "L":
		return bitset{}, daysLast, 0, 0, nil
	case upper == "LW":
		// The table of the EventBridge documentation lists L and W for
		// day-of-month but does not spell out LW. It is Quartz syntax for
		// the last weekday of the month, and EventBridge accepts it.
		return bitset{}, daysLastWeekday, 0, 0, nil
	case strings.HasPrefix(upper, "L-"):
		return bitset{}, 0, 0, 0, fmt.Errorf("day-of-month: %s (an offset from the last day) is not supported by EventBridge Scheduler; use L for the last day of the month", text)
	case strings.HasSuffix(upper, "W") && isDigits(upper[:len(upper)-1]):
		n, err := f.value(upper[:len(upper)-1])
		if err != nil {
			return bitset{}, 0, 0, 0, err
		}
		return bitset{}, daysNearestWeekday, n, 0, nil
	}
	return bitset{}, 0, 0, 0, fmt.Errorf("day-of-month: %q is not valid; use 1-31, L for the last day, LW for the last weekday or nW (15W) for the weekday nearest a day", text)
}

// parseDayOfWeek parses the day-of-week field: plain values, ?, L, nL or
// d#n. The EventBridge documentation lists no / for this field, so
// increments are rejected; like Quartz, L, nL and # must stand alone.
func parseDayOfWeek(text string) (bitset, dayRule, int, int, error) {
	f := &dowField
	if text == "?" {
		return bitset{}, daysPlain, 0, 0, nil
	}
	if strings.Contains(text, "/") {
		return bitset{}, 0, 0, 0, fmt.Errorf("day-of-week: / is not allowed in day-of-week; list the days instead, for example MON,WED,FRI")
	}
	upper := strings.ToUpper(text)
	// No weekday name ends in L or contains #, so these mark the special
	// forms.
	hash := strings.Contains(upper, "#")
	last := false
	for _, item := range strings.Split(upper, ",") {
		last = last || strings.HasSuffix(item, "L")
	}
	if !hash && !last {
		set, err := f.parsePlain(text)
		return set, daysPlain, 0, 0, err
	}
	if strings.Contains(text, ",") {
		return bitset{}, 0, 0, 0, fmt.Errorf("day-of-week: %q combines L or # with other values; EventBridge Scheduler allows one such expression per field, so use a separate schedule for each", text)
	}
	if upper == "L" {
		// L alone is the last day of the week: Saturday, since 1 is
		// Sunday.
		var set bitset
		set.add(7)
		return set, daysPlain, 0, 0, nil
	}
	if hash {
		day, nth, ok := strings.Cut(upper, "#")
		d, err := f.value(day)
		if err != nil {
			return bitset{}, 0, 0, 0, err
		}
		n, err := strconv.Atoi(nth)
		if err != nil || !isDigits(nth) || n < 1 || n > 5 || !ok {
			return bitset{}, 0, 0, 0, fmt.Errorf("day-of-week: the week after # in %q must be 1-5, as in 6#3 for the third Friday", text)
		}
		return bitset{}, daysNth, d, n, nil
	}
	d, err := f.value(strings.TrimSuffix(upper, "L"))
	if err != nil {
		return bitset{}, 0, 0, 0, err
	}
	return bitset{}, daysLastOfWeek, d, 0, nil
}

// parsePlain parses a field made of a comma-separated list of *, values,
// ranges and increments.
func (f *fieldSpec) parsePlain(text string) (bitset, error) {
	var set bitset
	if text == "?" {
		return set, fmt.Errorf("%s: ? is only allowed in day-of-month and day-of-week; use * for every value", f.name)
	}
	for _, c := range text {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.ContainsRune(",-*/?#", c)) {
			return set, fmt.Errorf("%s: %q contains %q, which is not allowed; use %s", f.name, text, c, f.hint)
		}
	}
	for _, item := range strings.Split(text, ",") {
		if item == "" {
			return set, fmt.Errorf("%s: %q has an empty list item; remove the extra comma", f.name, text)
		}
		if err := f.parseItem(item, &set); err != nil {
			return set, err
		}
	}
	return set, nil
}

// parseItem parses one list item: *, */s, v, v/s, a-b or a-b/s. As in
// Quartz, v/s runs from v to the field's largest value.
func (f *fieldSpec) parseItem(item string, set *bitset) error {
	upper := strings.ToUpper(item)
	switch {
	case upper == "?":
		return fmt.Errorf("%s: ? must be the whole field, and is only allowed in day-of-month and day-of-week", f.name)
	case upper == "L" || strings.HasSuffix(upper, "L") && isDigits(upper[:len(upper)-1]):
		return fmt.Errorf("%s: L is only allowed in day-of-month and day-of-week", f.name)
	case strings.HasSuffix(upper, "W") && isDigits(upper[:len(upper)-1]):
		return fmt.Errorf("%s: W is only allowed in day-of-month, as in 15W for the weekday nearest the 15th", f.name)
	case strings.Contains(upper, "#"):
		return fmt.Errorf("%s: # is only allowed in day-of-week, as in 6#3 for the third Friday", f.name)
	}

	rangeText, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		if !isDigits(stepText) {
			return fmt.Errorf("%s: the increment after / in %q must be a whole number", f.name, item)
		}
		s, err := strconv.Atoi(stepText)
		if err != nil || s < 1 || s > f.maxStep {
			return fmt.Errorf("%s: the increment %s in %q is out of range 1-%d", f.name, stepText, item, f.maxStep)
		}
		step = s
	}

	lo, hi := f.min, f.max
	switch {
	case rangeText == "*":
	case strings.Contains(rangeText, "-"):
		a, b, _ := strings.Cut(rangeText, "-")
		var err error
		if lo, err = f.value(a); err != nil {
			return err
		}
		if hi, err = f.value(b); err != nil {
			return err
		}
		if lo > hi {
			// Quartz wraps such ranges around, but the EventBridge
			// documentation only describes ranges from low to high, so a
			// list is asked for instead.
			return fmt.Errorf("%s: the range %s-%s runs backwards; split it, for example %s", f.name, a, b, f.splitRange(a, b))
		}
	default:
		v, err := f.value(rangeText)
		if err != nil {
			return err
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	set.addRange(lo-f.offset, hi-f.offset, step)
	return nil
}

// splitRange suggests a list that covers a backwards range a-b, written in
// the same style (numbers or names) as the user wrote it.
func (f *fieldSpec) splitRange(a, b string) string {
	first, last := strconv.Itoa(f.max), strconv.Itoa(f.min)
	if f.names != nil && !isDigits(a) {
		for name, v := range f.names {
			if v == f.max {
				first = name
			}
			if v == f.min {
				last = name
			}
		}
	}
	part := func(x, y string) string {
		if strings.EqualFold(x, y) {
			return x
		}
		return x + "-" + y
	}
	return part(a, first) + "," + part(last, b)
}

// value parses one value: a number or, in month and day-of-week, a
// three-letter name in any letter case.
func (f *fieldSpec) value(text string) (int, error) {
	if text == "" {
		return 0, fmt.Errorf("%s: a value is missing; use %s", f.name, f.hint)
	}
	if !isDigits(text) {
		if v, ok := f.names[strings.ToUpper(text)]; ok {
			return v, nil
		}
		switch f.name {
		case monthField.name:
			return 0, fmt.Errorf("month: %q is not a month; use 1-12 or JAN-DEC", text)
		case dowField.name:
			return 0, fmt.Errorf("day-of-week: %q is not a day; use 1-7 with 1 = SUN, or SUN-SAT", text)
		}
		return 0, fmt.Errorf("%s: %q is not a number; use %s", f.name, text, f.hint)
	}
	v, err := strconv.Atoi(text)
	if err != nil || len(text) > 4 {
		v = -1
	}
	if f.name == dowField.name && v == 0 {
		return 0, fmt.Errorf("day-of-week: 0 is not a day; days run 1-7 with 1 = SUN, or use SUN-SAT")
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%s: %s is out of range %d-%d", f.name, text, f.min, f.max)
	}
	return v, nil
}

// isDigits reports whether s is a non-empty string of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
