package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// runsNow is a Monday morning; the tests also run the checks on the other
// days of its week.
var runsNow = time.Date(2026, 11, 30, 7, 41, 30, 0, time.UTC)

func TestRunWarnings(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{file: "clock-change.yaml", want: []string{
			":4: reloads[0]: cron(30 2 * * ? *) runs at 02:30 in Europe/Berlin, where the clocks skip 02:00-03:00 on Sun 28 Mar 2027, so it does not run that day; they repeat 02:00-03:00 on Sun 31 Oct 2027, and it runs once, not twice; move it out of 02:00-03:00, or use UTC",
			":14: reloads[3]: cron(30 1 ? * SUN *) runs at 01:30 in America/New_York, where they repeat 01:00-02:00 on Sun 7 Nov 2027, and it runs once, not twice; move it out of 01:00-02:00, or use UTC",
		}},
		{file: "same-minute.yaml", want: []string{
			":7: reloads[1]: sales-noon-partial starts app 687ef393-f0ad-4c64-ac59-6db967126015 in the same minute as sales-quarter-hourly (line 4), first on Mon 7 Dec 2026 12:00 CET; the function starts one reload and skips the other as already active, so whichever comes second is lost without notice, with its partial flag and variables; move one of them by a few minutes",
			":23: reloads[5]: finance-noon-copy starts app 3b5d8c1e-9a47-4f02-b6e3-2c1f0a9d7e54 in the same minute as finance-noon (line 20), first on Mon 7 Dec 2026 06:00 EST; the function starts one reload and skips the other as already active, so one of the two rows is redundant then; move one of them by a few minutes",
		}},
		{file: "stale.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "runs", tt.file)
			cfg, err := loadTestdata(t, path)
			if err != nil {
				t.Fatal(err)
			}
			want := withPath(path, tt.want)
			// The answer is the same on every day of the week.
			for day := range 7 {
				now := runsNow.AddDate(0, 0, day)
				var got []string
				for _, w := range cfg.RunWarnings(now) {
					got = append(got, w.Error())
				}
				if diff := cmp.Diff(got, want, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("RunWarnings on %s (-got +want):\n%s", now.Weekday(), diff)
				}
			}
		})
	}
}

func TestStale(t *testing.T) {
	path := filepath.Join("testdata", "runs", "stale.yaml")
	cfg, err := loadTestdata(t, path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		path + ":4: reloads[0]: at(2026-01-04T07:00:00) has no run after now (Mon 30 Nov 2026 08:41 CET), so the schedule would never run; remove the row, or give a later date",
		path + ":7: reloads[1]: cron(0 18 31 12 ? 2025) has no run after now (Mon 30 Nov 2026 08:41 CET): the years it names have passed; remove the row, or change its year field",
	}
	if diff := cmp.Diff(strings.Split(cfg.Stale(runsNow).Error(), "\n"), want); diff != "" {
		t.Errorf("Stale (-got +want):\n%s", diff)
	}
	// Before the first run, nothing is stale.
	if got := cfg.Stale(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("Stale in 2025 = %v, want none", got)
	}
}

// BenchmarkRunWarnings checks a table of 5,000 rows of one app, the worst
// case for the same-minute check, as make synth's summary does.
func BenchmarkRunWarnings(b *testing.B) {
	const rows = 5000
	cfg, err := Load("config/big.yaml", tableYAML(rows, 20))
	if err != nil {
		b.Fatal(err)
	}
	var n int
	for b.Loop() {
		n = len(cfg.RunWarnings(runsNow))
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/table")
	b.ReportMetric(float64(n), "warnings")
}
