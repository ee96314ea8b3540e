package runs_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/runs"
)

func failures(resp events.SQSEventResponse) []string {
	out := []string{}
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func salesKey(at time.Time) ledger.Key {
	return ledger.Key{Row: "sales", AppID: salesApp, ScheduledTime: at}
}

// TestQueueStartsOnce: a message starts its reload and records it; the
// same run delivered again, as another copy or a Scheduler retry, starts
// nothing.
func TestQueueStartsOnce(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	at := hs.clk.Now().Truncate(time.Minute)
	hs.clk.Advance(1500 * time.Millisecond)
	b := body(salesApp, "sales", at, `,"partial":true,"timezone":"Europe/Stockholm"`)

	resp := hs.handle(t, message("m1", b, 1))
	if got := failures(resp); len(got) != 0 {
		t.Fatalf("failures %v, want none", got)
	}
	reqs := hs.tenant.CreateRequests()
	if len(reqs) != 1 || !reqs[0].Partial || reqs[0].AppID != salesApp {
		t.Fatalf("create requests %+v, want one partial reload of %s", reqs, salesApp)
	}
	run := hs.run(t, salesKey(at))
	if run.ReloadID == "" || run.Status != "QUEUED" || !run.Created || run.Attempts != 1 || run.OpenShard == "" || run.TimeZone != "Europe/Stockholm" {
		t.Errorf("run = %+v, want the new reload QUEUED, created, one attempt, open, in the row's zone", run)
	}
	if want := hs.clk.Now().Sub(at).Milliseconds(); !strings.Contains(hs.metrics.String(), `"StartLateness":`+itoa(want)) {
		t.Errorf("metrics %s lack StartLateness %d", hs.metrics.String(), want)
	}

	reads := hs.tenant.Count(qliktest.RouteGetApp) + hs.tenant.Count(qliktest.RouteListReloads)
	hs.clk.Advance(time.Minute)
	resp = hs.handle(t, message("m2", b, 1), message("m1", b, 2))
	if got := failures(resp); len(got) != 0 {
		t.Fatalf("redelivery: failures %v, want none", got)
	}
	if n := hs.tenant.ReloadsCreated(); n != 1 {
		t.Errorf("%d reloads after a second copy and a redelivery, want 1", n)
	}
	if n := hs.tenant.Count(qliktest.RouteGetApp) + hs.tenant.Count(qliktest.RouteListReloads); n != reads {
		t.Errorf("a redelivery asked Qlik %d more times, want 0", n-reads)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestQueueDeadLetters: what only a person can fix, and a run later than
// its bound, go to the dead-letter queue at once with their error type and
// the original body, and leave the open runs.
func TestQueueDeadLetters(t *testing.T) {
	tests := []struct {
		name      string
		body      func(at time.Time) string
		late      time.Duration
		wantType  string
		wantQlik  bool // whether Qlik was asked
		wantInRun bool // whether the ledger records the run
	}{
		{name: "invalid event", body: func(at time.Time) string {
			return `{"appId":"not-a-guid","row":"sales","scheduledTime":"` + at.Format(time.RFC3339) + `"}`
		},
			wantType: "InvalidEvent"},
		{name: "not JSON", body: func(time.Time) string { return `appId=1` }, wantType: "InvalidEvent"},
		{name: "debounce window out of range", body: func(at time.Time) string { return body(salesApp, "files", at, `,"debounceMinutes":0`) },
			wantType: "InvalidEvent"},
		{name: "unknown time zone", body: func(at time.Time) string { return body(salesApp, "sales", at, `,"timezone":"Europe/Stockholmm"`) },
			wantType: "InvalidEvent"},
		{name: "missing scheduled time", body: func(time.Time) string { return `{"appId":"` + salesApp + `","row":"sales"}` }, wantType: "InvalidEvent"},
		{name: "app not found", body: func(at time.Time) string { return body(missingApp, "sales", at, "") },
			wantType: "AppNotFound", wantQlik: true, wantInRun: true},
		{name: "no reload privilege", body: func(at time.Time) string { return body(readOnlyApp, "sales", at, "") },
			wantType: "AppNotReloadable", wantQlik: true, wantInRun: true},
		{name: "later than the environment's bound", body: func(at time.Time) string { return body(salesApp, "sales", at, "") },
			late: 61 * time.Minute, wantType: "TooLate", wantInRun: true},
		{name: "later than the row's bound", body: func(at time.Time) string { return body(salesApp, "sales", at, `,"maxDelayMinutes":5`) },
			late: 6 * time.Minute, wantType: "TooLate", wantInRun: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{})
			at := hs.clk.Now().Truncate(time.Minute)
			hs.clk.Advance(tt.late + time.Second)
			b := tt.body(at)
			resp := hs.handle(t, message("m1", b, 1))
			if got := failures(resp); len(got) != 0 {
				t.Errorf("failures %v, want none (a dead letter is processed)", got)
			}
			if len(hs.queue.sent) != 1 {
				t.Fatalf("%d dead letters, want 1", len(hs.queue.sent))
			}
			dl := hs.queue.sent[0]
			if aws.ToString(dl.MessageBody) != b {
				t.Errorf("dead letter body %q, want the original %q", aws.ToString(dl.MessageBody), b)
			}
			if got := attr(dl.MessageAttributes, runs.AttrErrorType); got != tt.wantType {
				t.Errorf("errorType %q, want %q", got, tt.wantType)
			}
			if attr(dl.MessageAttributes, runs.AttrReason) == "" {
				t.Error("the dead letter has no reason")
			}
			if n := hs.tenant.ReloadsCreated(); n != 0 {
				t.Errorf("%d reloads created, want 0", n)
			}
			asked := hs.tenant.Count(qliktest.RouteGetApp) > 0
			if asked != tt.wantQlik {
				t.Errorf("Qlik asked: %v, want %v", asked, tt.wantQlik)
			}
			if !strings.Contains(hs.metrics.String(), `"RunsDeadLettered`+tt.wantType+`":1`) {
				t.Errorf("metrics lack RunsDeadLettered%s: %s", tt.wantType, hs.metrics.String())
			}
			if !tt.wantInRun {
				return
			}
			run := hs.run(t, salesKey(at))
			if run.Status != ledger.StatusDeadLettered || run.LastError != tt.wantType || run.OpenShard != "" {
				t.Errorf("run = %+v, want DEAD_LETTERED with %s, not open", run, tt.wantType)
			}

			// A second copy of the message is not dead-lettered twice.
			hs.handle(t, message("m2", b, 1))
			if len(hs.queue.sent) != 1 {
				t.Errorf("%d dead letters after a second copy, want still 1", len(hs.queue.sent))
			}
		})
	}
}

func attr(attrs map[string]sqstypes.MessageAttributeValue, name string) string {
	v, ok := attrs[name]
	if !ok {
		return ""
	}
	return aws.ToString(v.StringValue)
}

// TestRedriveStartsLateRun: a message moved back from the dead-letter
// queue carries the errorType it was sent with: a person chose to run it
// late, so the lateness bound no longer applies, and it still starts only
// once.
func TestRedriveStartsLateRun(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	at := hs.clk.Now().Truncate(time.Minute)
	hs.clk.Advance(3 * time.Hour)
	b := body(salesApp, "sales", at, "")
	hs.handle(t, message("m1", b, 1))
	if len(hs.queue.sent) != 1 {
		t.Fatalf("%d dead letters, want 1", len(hs.queue.sent))
	}
	redriven := message("m1-redriven", b, 1)
	redriven.MessageAttributes = map[string]events.SQSMessageAttribute{
		runs.AttrErrorType: {DataType: "String", StringValue: aws.String("TooLate")},
	}
	for range 2 {
		if got := failures(hs.handle(t, redriven)); len(got) != 0 {
			t.Fatalf("failures %v, want none", got)
		}
	}
	if n := hs.tenant.ReloadsCreated(); n != 1 {
		t.Errorf("%d reloads after a redrive delivered twice, want 1", n)
	}
	if run := hs.run(t, salesKey(at)); run.ReloadID == "" || run.Attempts != 2 {
		t.Errorf("run = %+v, want a reload after 2 attempts", run)
	}
}

// TestQueuePutsBack: rate limits, transient failures and credential
// failures put the message back with a delay (never a wait in the
// function), report it as a batch item failure, and start nothing.
func TestQueuePutsBack(t *testing.T) {
	tests := []struct {
		name     string
		secret   string
		receives int
		prepare  func(hs *harness)
		// wantMin and wantMax bound the delay in seconds.
		wantMin, wantMax int32
		wantType         string
	}{
		{name: "rate limit on the POST", prepare: func(hs *harness) {
			hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(40*time.Second))
		}, wantMin: 40, wantMax: 44, wantType: "RateLimited"},
		{name: "rate limit on a read", prepare: func(hs *harness) {
			hs.tenant.Inject(qliktest.RouteGetApp, qliktest.RateLimited(7*time.Second))
		}, wantMin: 7, wantMax: 8, wantType: "RateLimited"},
		{name: "rate limit on the token endpoint", secret: `{"clientId":"` + clientID + `","clientSecret":"` + clientSecret + `"}`, prepare: func(hs *harness) {
			hs.tenant.Inject(qliktest.RouteToken, qliktest.RateLimited(20*time.Second))
		}, wantMin: 20, wantMax: 22, wantType: "RateLimited"},
		{name: "5xx, first receive", prepare: func(hs *harness) {
			hs.tenant.SetFault(qliktest.RouteGetApp, qliktest.ServerError(503))
		}, receives: 1, wantMin: 5, wantMax: 10, wantType: "TenantUnavailable"},
		{name: "5xx, fourth receive", prepare: func(hs *harness) {
			hs.tenant.SetFault(qliktest.RouteGetApp, qliktest.ServerError(503))
		}, receives: 4, wantMin: 40, wantMax: 80, wantType: "TenantUnavailable"},
		{name: "rejected API key", prepare: func(hs *harness) {
			hs.tenant.RevokeAPIKey(apiKey)
		}, receives: 2, wantMin: 60, wantMax: 120, wantType: "CredentialRejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{secret: tt.secret})
			at := hs.clk.Now().Truncate(time.Minute)
			tt.prepare(hs)
			receives := max(tt.receives, 1)
			before := hs.clk.Now()
			resp := hs.handle(t, message("m1", body(salesApp, "sales", at, ""), receives))
			if diff := cmp.Diff(failures(resp), []string{"m1"}); diff != "" {
				t.Errorf("failures (-got +want):\n%s", diff)
			}
			if len(hs.queue.changes) != 1 {
				t.Fatalf("%d visibility changes, want 1", len(hs.queue.changes))
			}
			if s := hs.queue.changes[0].seconds; s < tt.wantMin || s > tt.wantMax {
				t.Errorf("put back for %d s, want %d to %d", s, tt.wantMin, tt.wantMax)
			}
			if hs.clk.Now() != before {
				t.Errorf("the function waited %s; it must put the message back instead", hs.clk.Now().Sub(before))
			}
			if len(hs.queue.sent) != 0 || hs.tenant.ReloadsCreated() != 0 {
				t.Errorf("dead letters %d, reloads %d; want none", len(hs.queue.sent), hs.tenant.ReloadsCreated())
			}
			run := hs.run(t, salesKey(at))
			if run.LastError != tt.wantType || !run.LeaseUntil.IsZero() {
				t.Errorf("run = %+v, want last error %s and released", run, tt.wantType)
			}
		})
	}
}

// TestRateLimitPutsBatchBack: after a rate limit, the rest of the batch
// goes back for the same wait without spending requests on Qlik.
func TestRateLimitPutsBatchBack(t *testing.T) {
	hs := newHarness(t, harnessOptions{noJitter: true})
	at := hs.clk.Now().Truncate(time.Minute)
	hs.tenant.AutoCreateApps(true)
	hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(30*time.Second))
	var records []events.SQSMessage
	for i, app := range []string{"aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002", "aaaaaaaa-0000-4000-8000-000000000003"} {
		records = append(records, message("m"+itoa(int64(i)), body(app, "row-"+itoa(int64(i)), at, ""), 1))
	}
	resp := hs.handle(t, records...)
	if diff := cmp.Diff(failures(resp), []string{"m0", "m1", "m2"}); diff != "" {
		t.Errorf("failures (-got +want):\n%s", diff)
	}
	// Without this, a batch put back by none would pass the loop below.
	if len(hs.queue.changes) != 3 {
		t.Errorf("%d visibility changes, want 3 (one per message put back)", len(hs.queue.changes))
	}
	for _, c := range hs.queue.changes {
		if c.seconds != 30 {
			t.Errorf("put back for %d s, want 30", c.seconds)
		}
	}
	if n := hs.tenant.Count(qliktest.RouteCreateReload); n != 1 {
		t.Errorf("%d POSTs, want 1 (the one that was limited)", n)
	}
	if n := hs.tenant.Count(qliktest.RouteGetApp); n != 1 {
		t.Errorf("%d app reads, want 1", n)
	}
}

// TestQueueAdoptsLostReload: an attempt that created a reload and died
// before recording it is taken over once its lease ends, and the reload is
// adopted instead of starting a second one.
func TestQueueAdoptsLostReload(t *testing.T) {
	kill := errors.New("instance stopped")
	var killed bool
	hs := newHarness(t, harnessOptions{ledger: func(l runs.Ledger) runs.Ledger {
		return &failingStart{Ledger: l, fail: func() error {
			if !killed {
				killed = true
				return kill
			}
			return nil
		}}
	}})
	at := hs.clk.Now().Truncate(time.Minute)
	b := body(salesApp, "sales", at, "")
	resp := hs.handle(t, message("m1", b, 1))
	if diff := cmp.Diff(failures(resp), []string{"m1"}); diff != "" {
		t.Fatalf("failures (-got +want):\n%s", diff)
	}
	// The message comes back while the first attempt's lease runs: the
	// run is held, and the message goes back until the lease ends.
	hs.clk.Advance(20 * time.Second)
	resp = hs.handle(t, message("m1", b, 2))
	if diff := cmp.Diff(failures(resp), []string{"m1"}); diff != "" {
		t.Fatalf("while held: failures (-got +want):\n%s", diff)
	}
	last := hs.queue.changes[len(hs.queue.changes)-1]
	if last.seconds < 41 || last.seconds > 43 {
		t.Errorf("held run put back for %d s, want until the lease ends (41 to 43)", last.seconds)
	}
	hs.clk.Advance(time.Duration(last.seconds) * time.Second)
	resp = hs.handle(t, message("m1", b, 3))
	if got := failures(resp); len(got) != 0 {
		t.Fatalf("after the lease: failures %v, want none", got)
	}
	if n := hs.tenant.ReloadsCreated(); n != 1 {
		t.Errorf("%d reloads, want 1", n)
	}
	run := hs.run(t, salesKey(at))
	first := hs.tenant.CreateRequests()
	if run.ReloadID == "" || !run.Created || run.Attempts != 2 || len(first) != 1 {
		t.Errorf("run = %+v, want the first attempt's reload adopted at the second claim", run)
	}
}

// failingStart is a ledger whose RecordStart fails when fail says so.
type failingStart struct {
	runs.Ledger
	fail func() error
}

func (f *failingStart) RecordStart(ctx context.Context, key ledger.Key, s ledger.Start) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Ledger.RecordStart(ctx, key, s)
}

// TestQueueRecordsActiveReload: another run of the same app already
// reloading is recorded as this run's with created false.
func TestQueueRecordsActiveReload(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	at := hs.clk.Now().Truncate(time.Minute)
	id := hs.tenant.AddReload(salesApp, qlik.StatusReloading, time.Minute)
	if got := failures(hs.handle(t, message("m1", body(salesApp, "sales", at, ""), 1))); len(got) != 0 {
		t.Fatalf("failures %v", got)
	}
	run := hs.run(t, salesKey(at))
	if run.ReloadID != id || run.Created || run.Status != "RELOADING" {
		t.Errorf("run = %+v, want reload %s, created false, RELOADING", run, id)
	}
	if hs.tenant.ReloadsCreated() != 0 {
		t.Error("a second reload was created")
	}
	if !strings.Contains(hs.metrics.String(), `"ReloadsAlreadyActive":1`) {
		t.Errorf("metrics lack ReloadsAlreadyActive: %s", hs.metrics.String())
	}
}

// TestQueueDeadlineNear: records not reached before the deadline come
// back within seconds, untouched.
func TestQueueDeadlineNear(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	at := hs.clk.Now().Truncate(time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), hs.clk.Now().Add(3*time.Second))
	defer cancel()
	resp, err := hs.consumer.HandleQueue(ctx, events.SQSEvent{Records: []events.SQSMessage{
		message("m1", body(salesApp, "sales", at, ""), 1), message("m2", body(salesApp, "other", at, ""), 1),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(failures(resp), []string{"m1", "m2"}); diff != "" {
		t.Errorf("failures (-got +want):\n%s", diff)
	}
	// Without this, records put back by none would pass the loop below.
	if len(hs.queue.changes) != 2 {
		t.Errorf("%d visibility changes, want 2 (one per record put back)", len(hs.queue.changes))
	}
	for _, c := range hs.queue.changes {
		if c.seconds > 2 {
			t.Errorf("put back for %d s, want at most 2", c.seconds)
		}
	}
	if hs.tenant.Count(qliktest.RouteGetApp) != 0 {
		t.Error("Qlik was asked although no time was left")
	}
}

// TestDeadLetterQueueUnavailable: when the dead letter cannot be sent,
// the message stays on the start queue: nothing is lost.
func TestDeadLetterQueueUnavailable(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	hs.queue.sendErr = errors.New("AccessDenied")
	resp := hs.handle(t, message("m1", `{"appId":"x"}`, 1))
	if diff := cmp.Diff(failures(resp), []string{"m1"}); diff != "" {
		t.Errorf("failures (-got +want):\n%s", diff)
	}
	if len(hs.queue.changes) != 1 {
		t.Errorf("%d visibility changes, want 1", len(hs.queue.changes))
	}
}
