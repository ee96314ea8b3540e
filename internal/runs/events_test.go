package runs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

// eventRow is a row with on, loaded as make synth loads it.
func eventRow(t *testing.T) config.Reload {
	t.Helper()
	cfg, err := config.Load("config/unit.yaml", []byte(`tenantUrl: https://acme.eu.qlikcloud.com
reloads:
  - name: files
    appId: `+salesApp+`
    on: {s3: {bucket: acme-exports, prefix: stock/}}
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Reloads[0]
}

// eventBody is the message the row's rule sends for an event at t: its
// input template with the event's time, which EventBridge writes as a JSON
// string in place of the unquoted placeholder.
func eventBody(r config.Reload, t time.Time) string {
	return strings.Replace(r.EventInput(), config.EventTimePlaceholder, `"`+t.UTC().Format(time.RFC3339)+`"`, 1)
}

// TestEventsWithinDebounceWindowStartOnce: an export that writes 50 files
// within a minute sends 50 events, each with its own time; the row's
// debounce window (the default 5 minutes) makes them one run, which starts
// one reload. An event in the next window is a run of its own.
func TestEventsWithinDebounceWindowStartOnce(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	row := eventRow(t)
	// The next window's start, on the clock's round five minutes: the
	// clock only moves forward, since the batches' deadlines are real
	// time.
	window := hs.clk.Now().Truncate(5 * time.Minute).Add(5 * time.Minute)
	hs.clk.Advance(window.Add(time.Minute).Sub(hs.clk.Now()))
	first := hs.clk.Now()

	var records []events.SQSMessage
	for i := range 50 {
		at := first.Add(time.Duration(i) * time.Second)
		records = append(records, message(fmt.Sprintf("e%d", i), eventBody(row, at), 1))
	}
	// Lambda hands the event source mapping's batches of 10 to instances
	// one after the other; a minute passes over them.
	for i := 0; i < len(records); i += 10 {
		if got := failures(hs.handle(t, records[i:i+10]...)); len(got) != 0 {
			t.Fatalf("failures %v, want none", got)
		}
		hs.clk.Advance(10 * time.Second)
	}
	if n := hs.tenant.ReloadsCreated(); n != 1 {
		t.Fatalf("%d reloads for 50 events within one debounce window, want 1", n)
	}
	run := hs.run(t, ledger.Key{Row: "files", AppID: salesApp, ScheduledTime: window})
	if run.ReloadID == "" || !run.Created {
		t.Errorf("run %+v, want the window's run with the reload it created", run)
	}
	// Without the window each event would be a run of its own, recorded
	// as already active: one reload still, but 50 runs.
	for i := range 50 {
		at := first.Add(time.Duration(i) * time.Second)
		if _, ok, err := hs.ledger.Get(context.Background(), ledger.Key{Row: "files", AppID: salesApp, ScheduledTime: at}); err != nil || ok {
			t.Fatalf("the ledger has a run at the event's own time %s (err %v), want only the window's", at.Format(time.RFC3339), err)
		}
	}

	next := window.Add(5 * time.Minute).Add(2 * time.Second)
	// By then the first reload has ended (the fake tenant's reloads take
	// a minute), so the next window's run is not held back as already
	// active.
	hs.clk.Advance(next.Add(time.Second).Sub(hs.clk.Now()))
	if got := failures(hs.handle(t, message("later", eventBody(row, next), 1))); len(got) != 0 {
		t.Fatalf("failures %v, want none", got)
	}
	if n := hs.tenant.ReloadsCreated(); n != 2 {
		t.Errorf("%d reloads after an event in the next window, want 2", n)
	}
}

// TestChainRunLatenessCountsFromDue: a chain's run carries its upstream's
// scheduled time, hours ago after a long extract, and starts all the same:
// its lateness counts from dueAt, when the chain made it due. The ledger
// keys it by the upstream's time.
func TestChainRunLatenessCountsFromDue(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	upstream := hs.clk.Now().Truncate(time.Minute).Add(-3 * time.Hour)
	due := hs.clk.Now().Truncate(time.Second)
	hs.clk.Advance(2 * time.Second)
	b := body(salesApp, "transform", upstream, `,"dueAt":"`+due.UTC().Format(time.RFC3339)+`"`)
	if got := failures(hs.handle(t, message("c1", b, 1))); len(got) != 0 {
		t.Fatalf("failures %v, want none", got)
	}
	if len(hs.queue.sent) != 0 {
		t.Fatalf("dead-lettered %v, want the run started", hs.queue.sent)
	}
	if run := hs.run(t, ledger.Key{Row: "transform", AppID: salesApp, ScheduledTime: upstream}); run.ReloadID == "" {
		t.Errorf("run %+v, want its reload", run)
	}
	if want := hs.clk.Now().Sub(due).Milliseconds(); !strings.Contains(hs.metrics.String(), `"StartLateness":`+itoa(want)) {
		t.Errorf("metrics %s lack StartLateness %d, the lateness from dueAt", hs.metrics.String(), want)
	}
}

// TestLongDebounceWindowIsNotLate: an event late in a window longer than
// the row's lateness bound still starts its run: lateness counts from the
// event, not from the window's start.
func TestLongDebounceWindowIsNotLate(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	window := hs.clk.Now().Truncate(time.Hour).Add(time.Hour)
	event := window.Add(45 * time.Minute)
	hs.clk.Advance(event.Add(time.Second).Sub(hs.clk.Now()))
	b := body(salesApp, "files", event, `,"maxDelayMinutes":30,"debounceMinutes":60`)
	if got := failures(hs.handle(t, message("late-in-window", b, 1))); len(got) != 0 {
		t.Fatalf("failures %v, want none", got)
	}
	if len(hs.queue.sent) != 0 {
		t.Fatalf("dead-lettered %v, want the run started", hs.queue.sent)
	}
	if run := hs.run(t, ledger.Key{Row: "files", AppID: salesApp, ScheduledTime: window}); run.ReloadID == "" {
		t.Errorf("run %+v, want the window's run with its reload", run)
	}
}
