package runs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

// TestDirectInvocation: {"appId": ...} starts the reload and returns its
// result as before, and the run is in the ledger under the app and the
// invocation's second.
func TestDirectInvocation(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	ctx := context.Background()
	res, err := hs.consumer.HandleDirect(ctx, []byte(`{"appId":"`+salesApp+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.ReloadID == "" || res.AppID != salesApp {
		t.Errorf("result = %+v, want a created reload of %s", res, salesApp)
	}
	run := hs.run(t, ledger.Key{AppID: salesApp, ScheduledTime: hs.clk.Now()})
	if run.ReloadID != res.ReloadID || run.Row != "" {
		t.Errorf("run = %+v, want reload %s under the app", run, res.ReloadID)
	}
}

// TestDirectInvocationOfARun: a direct invocation that names a row and a
// scheduled time is that run: invoking it twice starts one reload, and
// the second answer says so.
func TestDirectInvocationOfARun(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	ctx := context.Background()
	at := hs.clk.Now().Truncate(time.Minute)
	payload := []byte(body(salesApp, "sales", at, ""))
	first, err := hs.consumer.HandleDirect(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	hs.clk.Advance(2 * time.Hour)
	second, err := hs.consumer.HandleDirect(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.ReloadID != first.ReloadID || second.Detail == "" {
		t.Errorf("second result = %+v, want reload %s, created false, with a detail", second, first.ReloadID)
	}
	if n := hs.tenant.ReloadsCreated(); n != 1 {
		t.Errorf("%d reloads, want 1", n)
	}
}

// TestDirectInvalidEvent: a bad event fails with InvalidEvent naming the
// field, and nothing is recorded or started.
func TestDirectInvalidEvent(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	_, err := hs.consumer.HandleDirect(context.Background(), []byte(`{"appId":"`+salesApp+`","Row":"sales"}`))
	var e *reload.Error
	if !errors.As(err, &e) || e.Kind != reload.KindInvalidEvent {
		t.Fatalf("error %v, want InvalidEvent", err)
	}
	if want := `did you mean "row"`; !strings.Contains(e.Message, want) {
		t.Errorf("message %q lacks %q", e.Message, want)
	}
	if hs.tenant.ReloadsCreated() != 0 {
		t.Error("a reload was created")
	}
	// Whatever key a run would have had, under the app or the misspelt
	// row, it would be in the ledger's history around the invocation.
	now := hs.clk.Now()
	recorded, err := hs.ledger.History(context.Background(), ledger.HistoryFilter{Since: now.Add(-24 * time.Hour), Until: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 0 {
		t.Errorf("the ledger holds %+v, want no run", recorded)
	}
}
