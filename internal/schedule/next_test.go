package schedule

import (
	"testing"
	"time"
	_ "time/tzdata" // The same zone rules on every machine.

	"github.com/google/go-cmp/cmp"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// runs returns up to n consecutive runs after after, formatted with their
// offset so that a test shows which side of a clock change a run is on.
func runs(e *Expression, after time.Time, loc *time.Location, n int) []string {
	var got []string
	for range n {
		next, ok := e.Next(after, loc)
		if !ok {
			break
		}
		got = append(got, next.In(loc).Format("2006-01-02T15:04:05-07:00 Mon"))
		after = next
	}
	return got
}

func TestNext(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		zone  string
		after string // RFC 3339, in any offset
		n     int
		want  []string
	}{
		{
			name: "office hours skip the weekend", expr: "cron(0/5 8-17 ? * MON-FRI *)", zone: "Europe/Stockholm",
			after: "2026-05-15T17:50:00+02:00", n: 3,
			want: []string{"2026-05-15T17:55:00+02:00 Fri", "2026-05-18T08:00:00+02:00 Mon", "2026-05-18T08:05:00+02:00 Mon"},
		},
		{
			name: "strictly after", expr: "cron(0 9 * * ? *)", zone: "UTC",
			after: "2026-05-15T09:00:00Z", n: 1,
			want: []string{"2026-05-16T09:00:00+00:00 Sat"},
		},
		{
			name: "seconds of after are passed over", expr: "cron(* * * * ? *)", zone: "UTC",
			after: "2026-12-31T23:59:30Z", n: 2,
			want: []string{"2027-01-01T00:00:00+00:00 Fri", "2027-01-01T00:01:00+00:00 Fri"},
		},
		{
			name: "zone of after does not matter", expr: "cron(0 9 * * ? *)", zone: "Europe/Stockholm",
			after: "2026-05-15T06:59:00Z", n: 1,
			want: []string{"2026-05-15T09:00:00+02:00 Fri"},
		},
		{
			name: "star with increment", expr: "cron(*/20 10 * * ? *)", zone: "UTC",
			after: "2026-05-15T00:00:00Z", n: 4,
			want: []string{"2026-05-15T10:00:00+00:00 Fri", "2026-05-15T10:20:00+00:00 Fri", "2026-05-15T10:40:00+00:00 Fri", "2026-05-16T10:00:00+00:00 Sat"},
		},
		{
			name: "month and day names", expr: "cron(0 6 ? jan,jul mon *)", zone: "UTC",
			after: "2026-05-15T00:00:00Z", n: 3,
			want: []string{"2026-07-06T06:00:00+00:00 Mon", "2026-07-13T06:00:00+00:00 Mon", "2026-07-20T06:00:00+00:00 Mon"},
		},
		{
			name: "day 31 skips short months", expr: "cron(0 0 31 * ? *)", zone: "UTC",
			after: "2026-01-31T00:00:00Z", n: 2,
			want: []string{"2026-03-31T00:00:00+00:00 Tue", "2026-05-31T00:00:00+00:00 Sun"},
		},
		{
			name: "last day of month in a leap year", expr: "cron(0 12 L * ? *)", zone: "UTC",
			after: "2028-01-31T12:00:00Z", n: 3,
			want: []string{"2028-02-29T12:00:00+00:00 Tue", "2028-03-31T12:00:00+00:00 Fri", "2028-04-30T12:00:00+00:00 Sun"},
		},
		{
			name: "last weekday of month", expr: "cron(0 18 LW * ? *)", zone: "UTC",
			after: "2026-01-31T00:00:00Z", n: 4,
			// 28 February 2026 and 31 May are Saturdays and Sundays.
			want: []string{"2026-02-27T18:00:00+00:00 Fri", "2026-03-31T18:00:00+00:00 Tue", "2026-04-30T18:00:00+00:00 Thu", "2026-05-29T18:00:00+00:00 Fri"},
		},
		{
			name: "nearest weekday stays in the month", expr: "cron(0 9 1W * ? *)", zone: "UTC",
			after: "2026-07-15T00:00:00Z", n: 2,
			// 1 August 2026 is a Saturday: Monday the 3rd, not 31 July.
			want: []string{"2026-08-03T09:00:00+00:00 Mon", "2026-09-01T09:00:00+00:00 Tue"},
		},
		{
			name: "nearest weekday to a Sunday", expr: "cron(0 9 15W * ? *)", zone: "UTC",
			after: "2026-03-01T00:00:00Z", n: 1,
			want: []string{"2026-03-16T09:00:00+00:00 Mon"},
		},
		{
			name: "nearest weekday to the 31st skips short months", expr: "cron(0 9 31W * ? *)", zone: "UTC",
			after: "2026-04-01T00:00:00Z", n: 3,
			// 31 May 2026 is a Sunday, the last day: back to Friday.
			want: []string{"2026-05-29T09:00:00+00:00 Fri", "2026-07-31T09:00:00+00:00 Fri", "2026-08-31T09:00:00+00:00 Mon"},
		},
		{
			name: "third friday", expr: "cron(0 9 ? * 6#3 *)", zone: "UTC",
			after: "2026-05-01T00:00:00Z", n: 3,
			want: []string{"2026-05-15T09:00:00+00:00 Fri", "2026-06-19T09:00:00+00:00 Fri", "2026-07-17T09:00:00+00:00 Fri"},
		},
		{
			name: "fifth monday only in some months", expr: "cron(0 9 ? * MON#5 *)", zone: "UTC",
			after: "2026-01-01T00:00:00Z", n: 3,
			want: []string{"2026-03-30T09:00:00+00:00 Mon", "2026-06-29T09:00:00+00:00 Mon", "2026-08-31T09:00:00+00:00 Mon"},
		},
		{
			name: "last thursday", expr: "cron(0 9 ? * 5L *)", zone: "UTC",
			after: "2026-01-01T00:00:00Z", n: 3,
			want: []string{"2026-01-29T09:00:00+00:00 Thu", "2026-02-26T09:00:00+00:00 Thu", "2026-03-26T09:00:00+00:00 Thu"},
		},
		{
			name: "L in day of week is saturday", expr: "cron(0 9 ? * L *)", zone: "UTC",
			after: "2026-05-11T00:00:00Z", n: 2,
			want: []string{"2026-05-16T09:00:00+00:00 Sat", "2026-05-23T09:00:00+00:00 Sat"},
		},
		{
			name: "rare leap day", expr: "cron(0 0 29 2 ? 2196)", zone: "UTC",
			after: "2026-05-15T00:00:00Z", n: 2,
			want: []string{"2196-02-29T00:00:00+00:00 Mon"},
		},
		{
			name: "no february 30", expr: "cron(0 0 30 2 ? *)", zone: "UTC",
			after: "2026-05-15T00:00:00Z", n: 1,
		},
		{
			name: "year in the past", expr: "cron(0 0 1 1 ? 1999)", zone: "UTC",
			after: "2026-05-15T00:00:00Z", n: 1,
		},
		{
			name: "last year of the range", expr: "cron(0 0 31 12 ? *)", zone: "UTC",
			after: "2199-01-01T00:00:00Z", n: 2,
			want: []string{"2199-12-31T00:00:00+00:00 Tue"},
		},
		{
			name: "after the range", expr: "cron(* * * * ? *)", zone: "UTC",
			after: "2200-01-01T00:00:00Z", n: 1,
		},
		{
			name: "before the range starts in 1970", expr: "cron(0 0 1 * ? *)", zone: "UTC",
			after: "1960-06-01T00:00:00Z", n: 2,
			want: []string{"1970-01-01T00:00:00+00:00 Thu", "1970-02-01T00:00:00+00:00 Sun"},
		},
		{
			name: "year list", expr: "cron(0 0 1 1 ? 2030,2040)", zone: "UTC",
			after: "2026-01-01T00:00:00Z", n: 3,
			want: []string{"2030-01-01T00:00:00+00:00 Tue", "2040-01-01T00:00:00+00:00 Sun"},
		},

		// Daylight saving time. Europe/Stockholm moves from 02:00 to 03:00
		// on 29 March 2026 and from 03:00 back to 02:00 on 25 October 2026.
		{
			name: "stockholm spring: the skipped time does not run that day", expr: "cron(30 2 * * ? *)", zone: "Europe/Stockholm",
			after: "2026-03-28T03:00:00+01:00", n: 2,
			want: []string{"2026-03-30T02:30:00+02:00 Mon", "2026-03-31T02:30:00+02:00 Tue"},
		},
		{
			name: "stockholm spring: hourly runs skip one hour", expr: "cron(30 * * * ? *)", zone: "Europe/Stockholm",
			after: "2026-03-29T01:00:00+01:00", n: 2,
			want: []string{"2026-03-29T01:30:00+01:00 Sun", "2026-03-29T03:30:00+02:00 Sun"},
		},
		{
			name: "stockholm autumn: the repeated time runs once", expr: "cron(30 2 * * ? *)", zone: "Europe/Stockholm",
			after: "2026-10-24T12:00:00+02:00", n: 2,
			want: []string{"2026-10-25T02:30:00+02:00 Sun", "2026-10-26T02:30:00+01:00 Mon"},
		},
		{
			name: "stockholm autumn: hourly runs do not repeat the hour", expr: "cron(30 * * * ? *)", zone: "Europe/Stockholm",
			after: "2026-10-25T01:45:00+02:00", n: 2,
			want: []string{"2026-10-25T02:30:00+02:00 Sun", "2026-10-25T03:30:00+01:00 Sun"},
		},
		{
			name: "stockholm autumn: after falls in the second pass of the hour", expr: "cron(30 * * * ? *)", zone: "Europe/Stockholm",
			after: "2026-10-25T02:15:00+01:00", n: 1,
			want: []string{"2026-10-25T03:30:00+01:00 Sun"},
		},
		// America/New_York moves from 02:00 to 03:00 on 8 March 2026 and
		// from 02:00 back to 01:00 on 1 November 2026.
		{
			name: "new york spring: the skipped time does not run that day", expr: "cron(30 2 * * ? *)", zone: "America/New_York",
			after: "2026-03-07T12:00:00-05:00", n: 2,
			want: []string{"2026-03-09T02:30:00-04:00 Mon", "2026-03-10T02:30:00-04:00 Tue"},
		},
		{
			name: "new york spring: every 15 minutes jumps the gap", expr: "cron(0/15 * * * ? *)", zone: "America/New_York",
			after: "2026-03-08T01:40:00-05:00", n: 2,
			want: []string{"2026-03-08T01:45:00-05:00 Sun", "2026-03-08T03:00:00-04:00 Sun"},
		},
		{
			name: "new york autumn: the repeated time runs once", expr: "cron(30 1 * * ? *)", zone: "America/New_York",
			after: "2026-10-31T12:00:00-04:00", n: 2,
			want: []string{"2026-11-01T01:30:00-04:00 Sun", "2026-11-02T01:30:00-05:00 Mon"},
		},
		{
			name: "new york autumn: every 15 minutes through the repeated hour", expr: "cron(0/15 1 * * ? *)", zone: "America/New_York",
			after: "2026-11-01T00:50:00-04:00", n: 5,
			want: []string{"2026-11-01T01:00:00-04:00 Sun", "2026-11-01T01:15:00-04:00 Sun", "2026-11-01T01:30:00-04:00 Sun", "2026-11-01T01:45:00-04:00 Sun", "2026-11-02T01:00:00-05:00 Mon"},
		},

		// One-time schedules.
		{
			name: "at in the future", expr: "at(2026-03-01T06:00:00)", zone: "Europe/Stockholm",
			after: "2026-01-01T00:00:00Z", n: 2,
			want: []string{"2026-03-01T06:00:00+01:00 Sun"},
		},
		{
			name: "at once past", expr: "at(2026-03-01T06:00:00)", zone: "Europe/Stockholm",
			after: "2026-03-01T06:00:00+01:00", n: 1,
		},
		{
			name: "at in the skipped hour never runs", expr: "at(2026-03-29T02:30:00)", zone: "Europe/Stockholm",
			after: "2026-01-01T00:00:00Z", n: 1,
		},
		{
			name: "at in the repeated hour runs the first time", expr: "at(2026-10-25T02:30:00)", zone: "Europe/Stockholm",
			after: "2026-01-01T00:00:00Z", n: 1,
			want: []string{"2026-10-25T02:30:00+02:00 Sun"},
		},
		{
			name: "rate has no calendar", expr: "rate(5 minutes)", zone: "UTC",
			after: "2026-01-01T00:00:00Z", n: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			after, err := time.Parse(time.RFC3339, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			got := runs(e, after, mustLoad(t, tt.zone), tt.n)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("runs of %s after %s (-got +want):\n%s", tt.expr, tt.after, diff)
			}
		})
	}
}

func TestNextNilLocationIsUTC(t *testing.T) {
	e, err := Parse("cron(0 9 * * ? *)")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := e.Next(time.Date(2026, 5, 15, 10, 0, 0, 0, time.UTC), nil)
	want := time.Date(2026, 5, 16, 9, 0, 0, 0, time.UTC)
	if !ok || !got.Equal(want) {
		t.Errorf("Next(nil location) = %v, %v; want %v, true", got, ok, want)
	}
}

// TestNextIsFastForRareSchedules guards the promise that Next walks days,
// not minutes: a schedule that never runs again must answer at once.
func TestNextIsFastForRareSchedules(t *testing.T) {
	for _, expr := range []string{"cron(0 0 30 2 ? *)", "cron(0 0 29 2 ? 2196)", "cron(59 23 31 12 ? 2199)", "cron(0 0 ? 2 1#5 *)"} {
		e, err := Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for range 100 {
			e.Next(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("100 calls of Next for %s took %v", expr, elapsed)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	stockholm := mustLoad(b, "Europe/Stockholm")
	after := time.Date(2026, 5, 15, 17, 52, 0, 0, stockholm)
	for _, bc := range []struct{ name, expr string }{
		{"every five minutes", "cron(0/5 8-17 ? * MON-FRI *)"},
		{"third friday", "cron(0 9 ? * 6#3 *)"},
		{"leap day in 2196", "cron(0 0 29 2 ? 2196)"},
		{"never", "cron(0 0 30 2 ? *)"},
		{"at", "at(2026-10-25T02:30:00)"},
	} {
		e, err := Parse(bc.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Next(after, stockholm)
			}
		})
	}
}
