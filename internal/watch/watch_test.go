package watch_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
)

const failedLog = `2026-12-01 07:00:01 0001  SET ThousandSep=',';
2026-12-01 07:00:02 0010  LIB CONNECT TO 'warehouse' (token ` + apiKey + `);
2026-12-01 07:04:58 0042  LOAD * FROM [lib://warehouse/sales.qvd] (qvd);
2026-12-01 07:04:59      Error: Cannot open file: 'lib://warehouse/sales.qvd'

2026-12-01 07:04:59      Execution Failed
2026-12-01 07:05:00      Execution finished.
`

// TestEveryRunEndsOnce follows runs that end every way a reload ends, with
// two watchers running at once every minute (a slow minute overlapping the
// next), for three simulated hours.
func TestEveryRunEndsOnce(t *testing.T) {
	h := newHarness(t)
	const maxRun = 2 * time.Hour
	w1, w2 := h.watcher(100, maxRun), h.watcher(100, maxRun)

	succeeded := h.startRun("sales-morning", salesApp, "Europe/Stockholm", "",
		qliktest.FinalPhases(time.Minute, 30*time.Minute, qlik.StatusSucceeded)...)
	failed := h.startRun("sales-intraday", salesApp, "Europe/Stockholm", failedLog,
		qliktest.FinalPhases(0, 5*time.Minute, qlik.StatusFailed)...)
	exceeded := h.startRun("sales-big", salesApp, "America/New_York", "",
		qliktest.FinalPhases(0, 10*time.Minute, qlik.StatusExceededLimit)...)
	canceled := h.startRun("sales-canceled", salesApp, "", "",
		qliktest.FinalPhases(2*time.Minute, 0, qlik.StatusCanceled)...)
	never := h.startRun("sales-stuck", salesApp, "UTC", "", qliktest.Phase{Status: qlik.StatusReloading})
	gone := h.startRun("old-sales", goneApp, "UTC", "", qliktest.Phase{Status: qlik.StatusReloading})

	// A row every five minutes that fails each time, for 65 minutes: 14
	// failures.
	var flaky []ledger.Key
	ctx := context.Background()
	for minute := 0; minute < 180; minute++ {
		if minute%5 == 0 && minute <= 65 {
			flaky = append(flaky, h.startRun("stock-intraday", salesApp, "Europe/Stockholm", "",
				qliktest.FinalPhases(0, time.Minute, qlik.StatusFailed)...))
		}
		if minute == 20 {
			h.tenant.DeleteApp(goneApp)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { defer wg.Done(); _, errs[0] = w1.Run(ctx) }()
		go func() { defer wg.Done(); _, errs[1] = w2.Run(ctx) }()
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("minute %d: %v", minute, err)
		}
		h.clock.Advance(time.Minute)
	}

	want := map[ledger.Key]string{
		succeeded: "SUCCEEDED", failed: "FAILED", exceeded: "EXCEEDED_LIMIT", canceled: "CANCELED",
		never: "RELOADING", gone: ledger.StatusUnknown,
	}
	for _, k := range flaky {
		want[k] = "FAILED"
	}
	for key, status := range want {
		run := h.run(key)
		if run.Status != status {
			t.Errorf("%s: status %s, want %s", key, run.Status, status)
		}
		if open := run.OpenShard != ""; open != (status == "RELOADING") {
			t.Errorf("%s: in the open index: %v", key, open)
		}
	}
	if run := h.run(succeeded); run.Duration != 30*time.Minute || !run.EndedAt.Equal(start.Add(31*time.Minute)) {
		t.Errorf("succeeded run: duration %s, ended %s; want 30m0s, %s", run.Duration, run.EndedAt, start.Add(31*time.Minute))
	}
	run := h.run(failed)
	if !strings.Contains(run.ErrorSummary, "Error: Cannot open file: 'lib://warehouse/sales.qvd'") ||
		strings.Contains(run.ErrorSummary, "Execution finished") || len(run.ErrorSummary) > 1024 {
		t.Errorf("failed run's summary:\n%s", run.ErrorSummary)
	}
	if run := h.run(gone); !strings.Contains(run.ErrorSummary, "was deleted") {
		t.Errorf("deleted app's run: summary %q", run.ErrorSummary)
	}
	if run := h.run(never); run.OverdueAt.IsZero() || run.Checks < 15 {
		t.Errorf("never-ending run: overdue at %s after %d checks; want flagged and still followed", run.OverdueAt, run.Checks)
	}

	// Each end was counted once.
	ends := map[string]int{}
	for _, rec := range h.metrics.records(t) {
		if id, ok := rec["reloadId"].(string); ok {
			ends[id]++
		}
	}
	for key, status := range want {
		if id := h.run(key).ReloadID; status != "RELOADING" && ends[id] != 1 {
			t.Errorf("%s (%s): end counted %d times", key, status, ends[id])
		}
	}

	// One alert per failure, the flaky row's grouped per hour; one
	// overdue alert; no alert says anything of the API key.
	var subjects []string
	for _, m := range h.topic.messages() {
		subjects = append(subjects, aws.ToString(m.Subject))
		if strings.Contains(aws.ToString(m.Message), apiKey) {
			t.Errorf("alert %q holds the API key", aws.ToString(m.Subject))
		}
		if aws.ToString(m.TopicArn) != topicARN {
			t.Errorf("alert sent to %s", aws.ToString(m.TopicArn))
		}
	}
	wantSubjects := []string{
		"[prod] stock-intraday FAILED",
		"[prod] sales-intraday FAILED",
		"[prod] sales-big EXCEEDED_LIMIT",
		"[prod] stock-intraday FAILED (and 11 more)",
		"[prod] sales-stuck OVERDUE",
	}
	if strings.Join(subjects, "\n") != strings.Join(wantSubjects, "\n") {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(subjects, "\n"), strings.Join(wantSubjects, "\n"))
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestFailureAlert pins the alert of a failed run as an operator reads it
// (testdata/alert-failed.txt): the row, the app, the scheduled time in the
// row's zone, the status, the duration and the end of the log, with the
// credential removed.
func TestFailureAlert(t *testing.T) {
	h := newHarness(t)
	w := h.watcher(100, time.Hour)
	h.startRun("sales-intraday", salesApp, "Europe/Stockholm", failedLog, qliktest.FinalPhases(0, 5*time.Minute, qlik.StatusFailed)...)
	h.clock.Advance(6 * time.Minute)
	if _, err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := h.topic.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d alerts, want 1", len(msgs))
	}
	got := "Subject: " + aws.ToString(msgs[0].Subject) + "\n\n" + aws.ToString(msgs[0].Message)
	golden := filepath.Join("testdata", "alert-failed.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("alert (-want +got), refresh with -update:\n%s", diff)
	}
}

// TestReadBudget has 300 reloads running at once and a budget of 20 reads
// a minute: no minute sees more reads, every run still ends, the oldest
// runs first.
func TestReadBudget(t *testing.T) {
	h := newHarness(t)
	w := h.watcher(20, 12*time.Hour)
	var keys []ledger.Key
	for i := range 300 {
		keys = append(keys, h.startRun(fmt.Sprintf("row-%03d", i), salesApp, "UTC", "",
			qliktest.FinalPhases(0, 30*time.Minute, qlik.StatusSucceeded)...))
		if i%50 == 49 {
			h.clock.Advance(time.Minute)
		}
	}
	for minute := 0; minute < 90; minute++ {
		if _, err := w.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Minute)
	}
	for at, n := range h.readsPerMinute() {
		if n > 20 {
			t.Errorf("%s: %d reads, over the budget of 20", at.Format(time.TimeOnly), n)
		}
	}
	for _, k := range keys {
		if run := h.run(k); run.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s after 90 minutes", k, run.Status)
		}
	}
}

// TestRateLimitStopsTheRound: when Qlik answers a read with its rate
// limit (the reload function spent the tier), the watcher reads nothing
// more until Qlik's Retry-After has passed, and fails nothing; then it
// goes on.
func TestRateLimitStopsTheRound(t *testing.T) {
	h := newHarness(t)
	w := h.watcher(100, 12*time.Hour)
	var keys []ledger.Key
	for i := range 5 {
		keys = append(keys, h.startRun(fmt.Sprintf("row-%d", i), salesApp, "UTC", "",
			qliktest.FinalPhases(0, time.Minute, qlik.StatusSucceeded)...))
	}
	h.clock.Advance(2 * time.Minute)
	h.tenant.Inject(qliktest.RouteGetReload, qliktest.RateLimited(90*time.Second))
	rep, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.RateLimited || h.tenant.Count(qliktest.RouteGetReload) != 1 {
		t.Fatalf("report %+v after %d reads; want one read and a stop", rep, h.tenant.Count(qliktest.RouteGetReload))
	}
	// A minute later Qlik's 90 seconds have not passed: no read.
	h.clock.Advance(time.Minute)
	if rep, err = w.Run(context.Background()); err != nil || rep.Reads != 0 {
		t.Fatalf("a minute later: %+v, %v; want no read before Retry-After", rep, err)
	}
	h.clock.Advance(time.Minute)
	if rep, err = w.Run(context.Background()); err != nil || rep.Finished != 5 {
		t.Fatalf("next minute: %+v, %v; want all 5 finished", rep, err)
	}
	for _, k := range keys {
		if run := h.run(k); run.Status != "SUCCEEDED" {
			t.Errorf("%s: %s, want SUCCEEDED", k, run.Status)
		}
	}
}

// TestLogTooLargeToRead: a failed reload whose log is larger than the
// client reads still ends FAILED, from the app's reload list (which has no
// logs), with Qlik's error and a note where the log is, and is alerted.
func TestLogTooLargeToRead(t *testing.T) {
	h := newHarness(t)
	w := h.watcher(100, 12*time.Hour)
	huge := strings.Repeat("2026-12-01 07:00:01 0001  TRACE row\n", (9<<20)/36)
	key := h.startRun("sales-verbose", salesApp, "UTC", huge, qliktest.FinalPhases(0, time.Minute, qlik.StatusFailed)...)
	h.clock.Advance(2 * time.Minute)
	rep, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	run := h.run(key)
	if run.Status != "FAILED" || rep.Reads != 2 || !strings.Contains(run.ErrorSummary, "failed to complete reload") ||
		!strings.Contains(run.ErrorSummary, "too large") {
		t.Errorf("run %s with summary %q after %d reads; want FAILED from the list, with Qlik's error and a note", run.Status, run.ErrorSummary, rep.Reads)
	}
	if n := len(h.topic.messages()); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
}
