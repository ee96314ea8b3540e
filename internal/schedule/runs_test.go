package schedule

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t *testing.T, expr string) *Expression {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNeverRuns(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"cron(0 8 31 2 ? *)", true},
		{"cron(0 8 30 2 ? *)", true},
		{"cron(0 8 31 4,6,9,11 ? *)", true},
		{"cron(0 8 29 2 ? *)", false}, // leap years
		{"cron(0 8 29 2 ? 2027)", true},
		{"cron(0 8 ? * MON *)", false},
		{"cron(0 8 31W * ? *)", false},
		{"rate(1 day)", false},
		{"at(2020-01-01T00:00:00)", false}, // past, but that is for the caller's clock to say
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.expr).NeverRuns(); got != tt.want {
			t.Errorf("%s: NeverRuns() = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

func TestRuns(t *testing.T) {
	from := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // a Monday
	got := mustParse(t, "cron(0 8 ? * MON,WED *)").Runs(from, from.AddDate(0, 0, 7), time.UTC)
	want := []time.Time{from.Add(8 * time.Hour), from.Add(56 * time.Hour)}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Runs (-got +want):\n%s", diff)
	}
	// A run exactly at from counts; one exactly at to does not.
	got = mustParse(t, "cron(0 0 ? * MON *)").Runs(from, from.AddDate(0, 0, 7), time.UTC)
	if diff := cmp.Diff(got, []time.Time{from}); diff != "" {
		t.Errorf("Runs at the bounds (-got +want):\n%s", diff)
	}
}

// TestWeekAfter: every day of one week gives the same week.
func TestWeekAfter(t *testing.T) {
	want := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for day := range 7 {
		now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day).Add(13*time.Hour + 7*time.Minute)
		if got := WeekAfter(now); !got.Equal(want) {
			t.Errorf("WeekAfter(%s) = %s, want %s", now.Format(time.RFC1123), got, want)
		}
	}
	if got := WeekAfter(want); !got.Equal(want.AddDate(0, 0, 7)) {
		t.Errorf("WeekAfter(Monday 00:00) = %s, want the Monday after", got)
	}
}

func TestClockChanges(t *testing.T) {
	from := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	wall := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		name, expr, zone string
		want             []ClockChange
	}{
		{
			name: "nightly in Berlin's changed hour", expr: "cron(30 2 * * ? *)", zone: "Europe/Berlin",
			want: []ClockChange{
				{Skipped: true, From: wall(2027, 3, 28, 2, 0), To: wall(2027, 3, 28, 3, 0), Run: wall(2027, 3, 28, 2, 30)},
				{Skipped: false, From: wall(2027, 10, 31, 2, 0), To: wall(2027, 10, 31, 3, 0), Run: wall(2027, 10, 31, 2, 30)},
			},
		},
		{name: "nightly outside the changed hour", expr: "cron(30 3 * * ? *)", zone: "Europe/Berlin"},
		{name: "on weekdays only: the clocks change on Sundays", expr: "cron(30 2 ? * MON-FRI *)", zone: "Europe/Berlin"},
		{name: "every five minutes all day loses a few runs, not the day", expr: "cron(0/5 * * * ? *)", zone: "Europe/Berlin"},
		{name: "UTC never changes", expr: "cron(30 2 * * ? *)", zone: "UTC"},
		{name: "rate ignores the wall clock", expr: "rate(1 hour)", zone: "Europe/Berlin"},
		{
			name: "New York skips 02:00-03:00 and repeats 01:00-02:00", expr: "cron(30 2 * * ? *)", zone: "America/New_York",
			want: []ClockChange{{Skipped: true, From: wall(2027, 3, 14, 2, 0), To: wall(2027, 3, 14, 3, 0), Run: wall(2027, 3, 14, 2, 30)}},
		},
		{
			name: "New York's repeated hour", expr: "cron(15 1 * * ? *)", zone: "America/New_York",
			want: []ClockChange{{Skipped: false, From: wall(2027, 11, 7, 1, 0), To: wall(2027, 11, 7, 2, 0), Run: wall(2027, 11, 7, 1, 15)}},
		},
		{
			name: "Lord Howe skips half an hour", expr: "cron(15 2 * * ? *)", zone: "Australia/Lord_Howe",
			want: []ClockChange{{Skipped: true, From: wall(2027, 10, 3, 2, 0), To: wall(2027, 10, 3, 2, 30), Run: wall(2027, 10, 3, 2, 15)}},
		},
		{
			name: "Lord Howe repeats half an hour", expr: "cron(45 1 * * ? *)", zone: "Australia/Lord_Howe",
			want: []ClockChange{{Skipped: false, From: wall(2027, 4, 4, 1, 30), To: wall(2027, 4, 4, 2, 0), Run: wall(2027, 4, 4, 1, 45)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			got := mustParse(t, tt.expr).ClockChanges(from, loc)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ClockChanges (-got +want):\n%s", diff)
			}
		})
	}
}
