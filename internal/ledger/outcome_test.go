package ledger_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

// started claims a run and records its reload, as the reload function does.
func started(t *testing.T, f fixture, key ledger.Key, reloadID string) ledger.Run {
	t.Helper()
	claim(t, f, key, time.Minute)
	if err := f.ledger.RecordStart(context.Background(), key, ledger.Start{ReloadID: reloadID, Status: "QUEUED", Created: true}); err != nil {
		t.Fatal(err)
	}
	run, _, err := f.ledger.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestFinalStatusOnce: a run's end is recorded by the first writer only;
// a failure stays open until its alert is sent, once.
func TestFinalStatusOnce(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		final    ledger.Final
		wantOpen bool
	}{
		{name: "succeeded", final: ledger.Final{Status: "SUCCEEDED", EndedAt: start.Add(time.Hour), Duration: time.Hour}},
		{name: "failed, alert pending", final: ledger.Final{Status: "FAILED", Duration: time.Minute, ErrorSummary: "Error: x", Alert: true}, wantOpen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			run := started(t, f, rowKey(), "r1")
			if err := f.ledger.RecordFinal(ctx, run, tt.final); err != nil {
				t.Fatal(err)
			}
			if err := f.ledger.RecordFinal(ctx, run, tt.final); !errors.Is(err, ledger.ErrNotOpen) {
				t.Errorf("second final status: %v, want ErrNotOpen", err)
			}
			if err := f.ledger.RecordCheck(ctx, run, "RELOADING", start); !errors.Is(err, ledger.ErrNotOpen) {
				t.Errorf("a check after the end: %v, want ErrNotOpen", err)
			}
			got, _, _ := f.ledger.Get(ctx, rowKey())
			if got.Status != tt.final.Status || got.Duration != tt.final.Duration || got.ErrorSummary != tt.final.ErrorSummary ||
				(got.OpenShard != "") != tt.wantOpen || got.AlertPending != tt.final.Alert {
				t.Errorf("run after its end: %+v", got)
			}
			if !tt.final.Alert {
				return
			}
			due, err := f.ledger.Due(ctx, f.clock.Now(), 10)
			if err != nil || len(due) != 1 || !due[0].AlertPending {
				t.Fatalf("due = %+v, %v; want the run with its alert pending", due, err)
			}
			if err := f.ledger.TakeAlert(ctx, due[0], f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if err := f.ledger.TakeAlert(ctx, due[0], f.clock.Now()); !errors.Is(err, ledger.ErrNotOpen) {
				t.Errorf("a second watcher took the alert: %v", err)
			}
			if err := f.ledger.AlertSent(ctx, due[0]); err != nil {
				t.Fatal(err)
			}
			if due, _ := f.ledger.Due(ctx, f.clock.Now(), 10); len(due) != 0 {
				t.Errorf("due after the alert: %+v, want none", due)
			}
		})
	}
}

// TestDueOldestFirstWithBackoff: only runs with a reload whose next check
// has come are due, the oldest scheduled first, at most the limit.
func TestDueOldestFirstWithBackoff(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	var runs []ledger.Run
	for i, row := range []string{"c", "a", "b"} {
		key := ledger.Key{Row: row, AppID: appID, ScheduledTime: scheduled.Add(time.Duration(2-i) * time.Minute)}
		runs = append(runs, started(t, f, key, "r-"+row))
	}
	claim(t, f, ledger.Key{Row: "no-reload", AppID: appID, ScheduledTime: scheduled.Add(-time.Hour)}, time.Minute)
	if err := f.ledger.RecordCheck(ctx, runs[1], "RELOADING", f.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	due, err := f.ledger.Due(ctx, f.clock.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range due {
		rows = append(rows, r.Row)
	}
	if want := []string{"b", "c"}; !slices.Equal(rows, want) {
		t.Errorf("due rows %v, want %v (a waits, no-reload has no reload)", rows, want)
	}
	f.clock.Advance(time.Minute)
	if due, _ = f.ledger.Due(ctx, f.clock.Now(), 2); len(due) != 2 || due[0].Row != "b" || due[1].Row != "a" {
		t.Errorf("due after a minute, limit 2: %+v, want b then a (the oldest two)", due)
	}
}

// TestGroupAlert: the first failure of a row within an hour is sent, the
// others are counted into the next one after the hour.
func TestGroupAlert(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	key := rowKey()
	at := start
	want := []ledger.AlertDecision{{Send: true}}
	for range 11 {
		want = append(want, ledger.AlertDecision{})
	}
	want = append(want, ledger.AlertDecision{Send: true, Grouped: 11, Since: start})
	for i, w := range want {
		d, err := f.ledger.GroupAlert(ctx, key, at)
		if err != nil {
			t.Fatal(err)
		}
		if d.Send != w.Send || d.Grouped != w.Grouped || !d.Since.Equal(w.Since) {
			t.Errorf("failure %d at %s: %+v, want %+v", i+1, at.Format(time.TimeOnly), d, w)
		}
		at = at.Add(5 * time.Minute)
	}
}
