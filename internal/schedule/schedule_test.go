package schedule

import (
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		expr string
		kind Kind
	}{
		{"whitepaper every five minutes in office hours", "cron(0/5 8-17 ? * MON-FRI *)", Cron},
		{"every day at ten", "cron(0 10 * * ? *)", Cron},
		{"every minute", "cron(* * * * ? *)", Cron},
		{"star with increment", "cron(*/5 * * * ? *)", Cron},
		{"value with increment", "cron(5/15 * * * ? *)", Cron},
		{"range with increment", "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", Cron},
		{"day of month with increment", "cron(0 1 1-31/30 * ? *)", Cron},
		{"largest minute increment", "cron(0/59 * * * ? *)", Cron},
		{"list of hours", "cron(0 10,15 * * ? *)", Cron},
		{"month names", "cron(0 6 1 JAN,APR,JUL,OCT ? *)", Cron},
		{"month name range with increment", "cron(0 6 1 JAN-DEC/3 ? *)", Cron},
		{"lowercase names", "cron(0 6 ? jan-jun mon-fri *)", Cron},
		{"mixed case names", "cron(0 6 ? Jan mOn *)", Cron},
		{"weekday numbers", "cron(0 6 ? * 2-6 *)", Cron},
		{"last day of month", "cron(0 18 L * ? *)", Cron},
		{"last weekday of month", "cron(0 18 LW * ? *)", Cron},
		{"lowercase last weekday", "cron(0 18 lw * ? *)", Cron},
		{"nearest weekday", "cron(0 9 3W * ? *)", Cron},
		{"nearest weekday to the 31st", "cron(0 9 31W * ? *)", Cron},
		{"last day of week", "cron(0 9 ? * L *)", Cron},
		{"last thursday", "cron(0 9 ? * 5L *)", Cron},
		{"last friday by name", "cron(0 9 ? * FRIL *)", Cron},
		{"third friday", "cron(0 9 ? * 6#3 *)", Cron},
		{"first monday by name", "cron(0 9 ? * MON#1 *)", Cron},
		{"fifth sunday", "cron(0 9 ? * 1#5 *)", Cron},
		{"one year", "cron(0 0 29 2 ? 2196)", Cron},
		{"year bounds", "cron(0 0 1 1 ? 1970,2199)", Cron},
		{"year range with increment", "cron(0 0 1 1 ? 2024-2199/229)", Cron},
		{"past year is not compared with today", "cron(0 0 1 1 ? 1999)", Cron},
		{"day that never comes", "cron(0 0 30 2 ? *)", Cron},
		{"leading zeros", "cron(05 09 ? * 02 *)", Cron},
		{"several spaces", "cron(0  10 * * ? *)", Cron},
		{"one minute", "rate(1 minute)", Rate},
		{"minutes", "rate(5 minutes)", Rate},
		{"one hour", "rate(1 hour)", Rate},
		{"hours", "rate(12 hours)", Rate},
		{"one day", "rate(1 day)", Rate},
		{"days", "rate(7 days)", Rate},
		{"one time", "at(2026-03-01T06:00:00)", At},
		{"leap day", "at(2028-02-29T23:59:59)", At},
		{"past date is not compared with today", "at(1999-12-31T23:59:00)", At},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want no error", tt.expr, err)
			}
			if got := e.Kind(); got != tt.kind {
				t.Errorf("Kind() = %v, want %v", got, tt.kind)
			}
			if got := e.String(); got != tt.expr {
				t.Errorf("String() = %q, want %q", got, tt.expr)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string
	}{
		// The expression as a whole.
		{"empty", "", "the schedule is empty; write cron(...), rate(...) or at(...), for example cron(0 6 ? * MON-FRI *)"},
		{"spaces around", " cron(0 10 * * ? *)", "the schedule has spaces around it; remove them"},
		{"bare unix cron line", "0 6 * * 1-5", `"0 6 * * 1-5" looks like a bare cron line; wrap it as cron(...) with six fields: minutes hours day-of-month month day-of-week year`},
		{"no parentheses", "daily", `"daily" is not a schedule expression; write cron(...), rate(...) or at(...)`},
		{"unknown type", "every(5 minutes)", `"every" is not a schedule type; write cron(...), rate(...) or at(...)`},
		{"uppercase keyword", "CRON(0 10 * * ? *)", "write CRON in lowercase: cron(...)"},
		{"missing closing parenthesis", "cron(0 10 * * ? *", "cron( is missing its closing parenthesis; end the expression with )"},
		{"nested parentheses", "cron((0 10 * * ? *))", "the schedule has more than one pair of parentheses; write one cron(...), rate(...) or at(...)"},

		// Cron fields.
		{"five fields", "cron(0 10 * * ?)", "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5; add the year field, for example * for every year"},
		{"seven fields", "cron(0 0 10 * * ? *)", "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 7; EventBridge Scheduler has no seconds field, so remove the first one"},
		{"no fields", "cron()", "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 0; write all six, for example cron(0 6 ? * MON-FRI *)"},
		{"tab between fields", "cron(0\t10 * * ? *)", "separate the cron fields with spaces only"},
		{"both day fields set", "cron(0 10 * * * *)", "day-of-month and day-of-week cannot both be set; use ? in one of them"},
		{"both day fields set to values", "cron(0 10 1 * MON *)", "day-of-month and day-of-week cannot both be set; use ? in one of them"},
		{"both day fields ?", "cron(0 10 ? * ? *)", "day-of-month and day-of-week cannot both be ?; set one of them, for example * in day-of-month for every day"},
		{"minute out of range", "cron(60 10 * * ? *)", "minutes: 60 is out of range 0-59"},
		{"hour out of range", "cron(0 24 * * ? *)", "hours: 24 is out of range 0-23"},
		{"day of month zero", "cron(0 10 0 * ? *)", "day-of-month: 0 is out of range 1-31"},
		{"day of month 32", "cron(0 10 32 * ? *)", "day-of-month: 32 is out of range 1-31"},
		{"month 13", "cron(0 10 1 13 ? *)", "month: 13 is out of range 1-12"},
		{"unknown month name", "cron(0 10 1 JANUARY ? *)", `month: "JANUARY" is not a month; use 1-12 or JAN-DEC`},
		{"weekday zero", "cron(0 10 ? * 0 *)", "day-of-week: 0 is not a day; days run 1-7 with 1 = SUN, or use SUN-SAT"},
		{"weekday zero in a range", "cron(0 10 ? * 0-4 *)", "day-of-week: 0 is not a day; days run 1-7 with 1 = SUN, or use SUN-SAT"},
		{"weekday eight", "cron(0 10 ? * 8 *)", "day-of-week: 8 is out of range 1-7"},
		{"unknown weekday name", "cron(0 10 ? * MONDAY *)", `day-of-week: "MONDAY" is not a day; use 1-7 with 1 = SUN, or SUN-SAT`},
		{"year before 1970", "cron(0 10 * * ? 1969)", "year: 1969 is out of range 1970-2199"},
		{"year after 2199", "cron(0 10 * * ? 2200)", "year: 2200 is out of range 1970-2199"},
		{"huge number", "cron(0 10 * * ? 99999999999999999999)", "year: 99999999999999999999 is out of range 1970-2199"},
		{"word in minutes", "cron(x 10 * * ? *)", `minutes: "x" is not a number; use 0-59`},
		{"negative number", "cron(-1 10 * * ? *)", "minutes: a value is missing; use 0-59"},
		{"unexpected character", "cron(0 10.5 * * ? *)", `hours: "10.5" contains '.', which is not allowed; use 0-23`},
		{"empty list item", "cron(0 10,,12 * * ? *)", `hours: "10,,12" has an empty list item; remove the extra comma`},
		{"backwards hours", "cron(0 22-2 * * ? *)", "hours: the range 22-2 runs backwards; split it, for example 22-23,0-2"},
		{"backwards weekday names", "cron(0 10 ? * FRI-MON *)", "day-of-week: the range FRI-MON runs backwards; split it, for example FRI-SAT,SUN-MON"},
		{"backwards weekend", "cron(0 10 ? * SAT-SUN *)", "day-of-week: the range SAT-SUN runs backwards; split it, for example SAT,SUN"},
		{"increment zero", "cron(0/0 10 * * ? *)", `minutes: the increment 0 in "0/0" is out of range 1-59`},
		{"increment of 60 minutes", "cron(*/60 * * * ? *)", `minutes: the increment 60 in "*/60" is out of range 1-59`},
		{"increment of 24 hours", "cron(0 */24 * * ? *)", `hours: the increment 24 in "*/24" is out of range 1-23`},
		{"increment not a number", "cron(0/x 10 * * ? *)", `minutes: the increment after / in "0/x" must be a whole number`},
		{"increment in day of week", "cron(0 10 ? * 1/2 *)", "day-of-week: / is not allowed in day-of-week; list the days instead, for example MON,WED,FRI"},
		{"question mark in hours", "cron(0 ? * * ? *)", "hours: ? is only allowed in day-of-month and day-of-week; use * for every value"},
		{"question mark in a list", "cron(0 10 1,? * ? *)", "day-of-month: ? must be the whole field, and is only allowed in day-of-month and day-of-week"},
		{"L in hours", "cron(0 L * * ? *)", "hours: L is only allowed in day-of-month and day-of-week"},
		{"L in month", "cron(0 10 1 L ? *)", "month: L is only allowed in day-of-month and day-of-week"},
		{"W in hours", "cron(0 3W * * ? *)", "hours: W is only allowed in day-of-month, as in 15W for the weekday nearest the 15th"},
		{"W in day of week", "cron(0 10 ? * 3W *)", "day-of-week: W is only allowed in day-of-month, as in 15W for the weekday nearest the 15th"},
		{"hash in day of month", "cron(0 10 6#3 * ? *)", "day-of-month: # is only allowed in day-of-week, as in 6#3 for the third Friday"},
		{"hash in minutes", "cron(6#3 10 * * ? *)", "minutes: # is only allowed in day-of-week, as in 6#3 for the third Friday"},
		{"L combined in day of month", "cron(0 10 1,L * ? *)", `day-of-month: L and W cannot be combined with other values in "1,L"; use one of them alone`},
		{"several nearest weekdays", "cron(0 10 1W,15W * ? *)", `day-of-month: L and W cannot be combined with other values in "1W,15W"; use one of them alone`},
		{"L offset", "cron(0 10 L-3 * ? *)", "day-of-month: L-3 (an offset from the last day) is not supported by EventBridge Scheduler; use L for the last day of the month"},
		{"nearest weekday to day 32", "cron(0 10 32W * ? *)", "day-of-month: 32 is out of range 1-31"},
		{"nearest weekday without a day", "cron(0 10 W * ? *)", `day-of-month: "W" is not valid; use 1-31, L for the last day, LW for the last weekday or nW (15W) for the weekday nearest a day`},
		{"several hashes", "cron(0 10 ? * 3#1,6#3 *)", `day-of-week: "3#1,6#3" combines L or # with other values; EventBridge Scheduler allows one such expression per field, so use a separate schedule for each`},
		{"last weekday with others", "cron(0 10 ? * MON,5L *)", `day-of-week: "MON,5L" combines L or # with other values; EventBridge Scheduler allows one such expression per field, so use a separate schedule for each`},
		{"sixth week", "cron(0 10 ? * 6#6 *)", `day-of-week: the week after # in "6#6" must be 1-5, as in 6#3 for the third Friday`},
		{"week zero", "cron(0 10 ? * 6#0 *)", `day-of-week: the week after # in "6#0" must be 1-5, as in 6#3 for the third Friday`},
		{"hash without week", "cron(0 10 ? * 6# *)", `day-of-week: the week after # in "6#" must be 1-5, as in 6#3 for the third Friday`},
		{"hash on day zero", "cron(0 10 ? * 0#1 *)", "day-of-week: 0 is not a day; days run 1-7 with 1 = SUN, or use SUN-SAT"},
		{"last of day eight", "cron(0 10 ? * 8L *)", "day-of-week: 8 is out of range 1-7"},

		// Rate.
		{"plural for one", "rate(1 minutes)", "rate(1 minutes): use the singular for a value of 1: rate(1 minute)"},
		{"plural for one hour", "rate(1 hours)", "rate(1 hours): use the singular for a value of 1: rate(1 hour)"},
		{"singular for five", "rate(5 minute)", "rate(5 minute): use the plural for a value above 1: rate(5 minutes)"},
		{"singular for two days", "rate(2 day)", "rate(2 day): use the plural for a value above 1: rate(2 days)"},
		{"zero", "rate(0 minutes)", "rate(0 minutes): the value must be at least 1"},
		{"negative", "rate(-5 minutes)", `rate(-5 minutes): "-5" is not a whole number; write a positive whole number, for example rate(5 minutes)`},
		{"fraction", "rate(1.5 hours)", `rate(1.5 hours): "1.5" is not a whole number; write a positive whole number, for example rate(5 minutes)`},
		{"leading zero", "rate(05 minutes)", "rate(05 minutes): remove the leading zeros from 05"},
		{"seconds", "rate(30 seconds)", "rate(30 seconds): the unit must be minute(s), hour(s) or day(s)"},
		{"weeks", "rate(2 weeks)", "rate(2 weeks): the unit must be minute(s), hour(s) or day(s)"},
		{"uppercase unit", "rate(5 Minutes)", "rate(5 Minutes): write the unit in lowercase: minutes"},
		{"missing unit", "rate(5)", "rate(5): write a number and a unit separated by one space, for example rate(5 minutes)"},
		{"two spaces", "rate(5  minutes)", "rate(5  minutes): write a number and a unit separated by one space, for example rate(5 minutes)"},
		{"too large", "rate(200000 days)", "rate(200000 days): the value is too large; the largest is 106751 days"},

		// At.
		{"date only", "at(2026-03-01)", "at(2026-03-01): write the date and time as yyyy-mm-ddThh:mm:ss, for example at(2026-03-01T06:00:00)"},
		{"no seconds", "at(2026-03-01T06:00)", "at(2026-03-01T06:00): write the date and time as yyyy-mm-ddThh:mm:ss, for example at(2026-03-01T06:00:00)"},
		{"space instead of T", "at(2026-03-01 06:00:00)", "at(2026-03-01 06:00:00): write the date and time as yyyy-mm-ddThh:mm:ss, for example at(2026-03-01T06:00:00)"},
		{"UTC suffix", "at(2026-03-01T06:00:00Z)", "at(2026-03-01T06:00:00Z): remove the time zone or fraction; at() takes a local date and time, and the time zone is set separately"},
		{"offset suffix", "at(2026-03-01T06:00:00+01:00)", "at(2026-03-01T06:00:00+01:00): remove the time zone or fraction; at() takes a local date and time, and the time zone is set separately"},
		{"february 29 in a common year", "at(2026-02-29T06:00:00)", "at(2026-02-29T06:00:00): February 2026 has no day 29; it has 28 days"},
		{"april 31", "at(2026-04-31T06:00:00)", "at(2026-04-31T06:00:00): April 2026 has no day 31; it has 30 days"},
		{"month 13", "at(2026-13-01T06:00:00)", "at(2026-13-01T06:00:00): the month 13 is out of range 01-12"},
		{"hour 24", "at(2026-03-01T24:00:00)", "at(2026-03-01T24:00:00): the hour 24 is out of range 00-23"},
		{"minute 60", "at(2026-03-01T06:60:00)", "at(2026-03-01T06:60:00): the minute 60 is out of range 00-59"},
		{"leap second", "at(2026-03-01T06:00:60)", "at(2026-03-01T06:00:60): the second 60 is out of range 00-59"},
		{"year 2200", "at(2200-01-01T00:00:00)", "at(2200-01-01T00:00:00): the year 2200 is out of range 1970-2199"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error %q", tt.expr, e, tt.want)
			}
			if e != nil {
				t.Errorf("Parse(%q) returned an expression with its error", tt.expr)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tt.expr, got, tt.want)
			}
		})
	}
}

func TestEveryAndDescribe(t *testing.T) {
	tests := []struct {
		expr     string
		every    time.Duration
		describe string
	}{
		{"rate(1 minute)", time.Minute, "every minute"},
		{"rate(5 minutes)", 5 * time.Minute, "every 5 minutes"},
		{"rate(1 hour)", time.Hour, "every hour"},
		{"rate(2 hours)", 2 * time.Hour, "every 2 hours"},
		{"rate(1 day)", 24 * time.Hour, "every day"},
		{"rate(3 days)", 72 * time.Hour, "every 3 days"},
		{"at(2026-03-01T06:00:00)", 0, "once at 2026-03-01 06:00:00"},
		{"cron(0 10 * * ? *)", 0, "cron(0 10 * * ? *)"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Every(); got != tt.every {
				t.Errorf("Every() = %v, want %v", got, tt.every)
			}
			if got := e.Describe(); got != tt.describe {
				t.Errorf("Describe() = %q, want %q", got, tt.describe)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for kind, want := range map[Kind]string{Cron: "cron", Rate: "rate", At: "at", 0: "Kind(0)"} {
		if got := kind.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", kind, got, want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	exprs := []string{
		"cron(0/5 8-17 ? * MON-FRI *)",
		"cron(0 9 ? * 6#3 *)",
		"cron(0,15,30,45 0-23/2 1-31/3 JAN-DEC/2 ? 1970-2199/7)",
		"rate(5 minutes)",
		"at(2026-03-01T06:00:00)",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(exprs[i%len(exprs)]); err != nil {
			b.Fatal(err)
		}
	}
}
