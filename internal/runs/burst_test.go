package runs_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/runs"
)

// The burst simulation: rows all due in the same minute go through a
// simulated start queue to `concurrency` function instances, on the fake
// clock, against the fake tenant enforcing Qlik's limits and the ledger on
// dynalite. Each instance is the real consumer with its own Qlik client,
// token cache and rate-limit memory, as a Lambda execution environment
// has. The simulation is deterministic: one invocation runs at a time, at
// the fake time the event loop chooses, and every random choice comes from
// a fixed seed.

// Simulated costs of an invocation, for the time an instance stays busy.
// They stand for network round trips from Lambda (the fakes answer in
// microseconds); the drain time depends on them only through how fast
// instances return to the queue.
const (
	simQlikRequest    = 150 * time.Millisecond
	simLedgerCall     = 10 * time.Millisecond
	simQueueCall      = 20 * time.Millisecond
	simInvokeOverhead = 30 * time.Millisecond
	// simFunctionTimeout is the function's timeout; the start queue's
	// visibility timeout is six times that, as the stacks set it.
	simFunctionTimeout = time.Minute
	simVisibility      = 6 * simFunctionTimeout
	simBatchSize       = 10
)

// simMessage is one message on the simulated start queue.
type simMessage struct {
	id        string
	body      string
	visibleAt time.Time
	receives  int
	deleted   bool
	// receipt is the receipt handle of the latest receive; calls with an
	// older one are ignored, as SQS ignores them.
	receipt string
}

// simQueue is the start queue (and the dead-letter queue) of the
// simulation: messages come back when their visibility timeout ends, and
// ChangeMessageVisibility sets when.
type simQueue struct {
	clk  *clock.Fake
	mu   sync.Mutex
	msgs []*simMessage
	// dead collects the dead letters.
	dead []string
	// current is the invocation running now; its calls are ignored once
	// its instance was killed.
	current *simInvocation
	calls   int
}

type simInvocation struct {
	killed bool
	cancel context.CancelFunc
}

func (q *simQueue) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.current != nil && q.current.killed {
		return nil, context.Canceled
	}
	q.calls++
	for _, m := range q.msgs {
		if m.receipt == aws.ToString(in.ReceiptHandle) && !m.deleted {
			m.visibleAt = q.clk.Now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
		}
	}
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (q *simQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.current != nil && q.current.killed {
		return nil, context.Canceled
	}
	q.calls++
	q.dead = append(q.dead, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{MessageId: aws.String(fmt.Sprint("dl-", len(q.dead)))}, nil
}

// receive hands out up to n visible messages, oldest visibility first.
func (q *simQueue) receive(now time.Time, n int) []events.SQSMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ready []*simMessage
	for _, m := range q.msgs {
		if !m.deleted && !m.visibleAt.After(now) {
			ready = append(ready, m)
		}
	}
	sort.SliceStable(ready, func(i, j int) bool { return ready[i].visibleAt.Before(ready[j].visibleAt) })
	if len(ready) > n {
		ready = ready[:n]
	}
	var out []events.SQSMessage
	for _, m := range ready {
		m.receives++
		m.receipt = fmt.Sprintf("%s#%d", m.id, m.receives)
		m.visibleAt = now.Add(simVisibility)
		out = append(out, events.SQSMessage{
			MessageId: m.id, ReceiptHandle: m.receipt, Body: m.body, EventSource: "aws:sqs",
			Attributes: map[string]string{"ApproximateReceiveCount": fmt.Sprint(m.receives)},
		})
	}
	return out
}

// nextVisible returns when the next undeleted message becomes visible, or
// false when every message is deleted.
func (q *simQueue) nextVisible() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next time.Time
	found := false
	for _, m := range q.msgs {
		if !m.deleted && (!found || m.visibleAt.Before(next)) {
			next, found = m.visibleAt, true
		}
	}
	return next, found
}

func (q *simQueue) delete(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range q.msgs {
		if m.id == id {
			m.deleted = true
		}
	}
}

// countingLedger counts the ledger calls of an instance and, when kill
// says so for a run, stops the instance between Qlik's 201 and the
// ledger write: its context is cancelled and nothing it does afterwards
// reaches the queue.
type countingLedger struct {
	runs.Ledger
	sim   *simulation
	calls int
}

func (l *countingLedger) Claim(ctx context.Context, req ledger.ClaimRequest) (ledger.Claim, error) {
	l.calls++
	return l.Ledger.Claim(ctx, req)
}

func (l *countingLedger) RecordStart(ctx context.Context, key ledger.Key, s ledger.Start) error {
	l.calls++
	if l.sim.shouldKill(key) {
		inv := l.sim.queue.current
		inv.killed = true
		inv.cancel()
		return errors.New("instance stopped between the 201 and the ledger write")
	}
	return l.Ledger.RecordStart(ctx, key, s)
}

func (l *countingLedger) RecordFailure(ctx context.Context, key ledger.Key, f ledger.Failure) error {
	l.calls++
	return l.Ledger.RecordFailure(ctx, key, f)
}

// burstOptions describe one simulation.
type burstOptions struct {
	rows        int
	concurrency int
	limits      qliktest.Limits
	// killEvery and copyEvery inject the faults: an instance stopped
	// between the 201 and the ledger write on one run in killEvery, and a
	// second copy of one message in copyEvery (0: none).
	killEvery, copyEvery int
	// oauth uses an OAuth client, so that token requests count.
	oauth bool
}

// burstResult is what a simulation measured.
type burstResult struct {
	reloads, distinctApps, deadLetters, killed, invocations, messages int
	// drain is from the scheduled minute to Qlik's last 201.
	drain time.Duration
	// allowed is the least time Qlik's start limit allows for the rows.
	allowed                          time.Duration
	qlikRequests, tokens, limited    int
	wall                             time.Duration
	runsWithoutReload, extraAttempts int
}

type simulation struct {
	opts   burstOptions
	clk    *clock.Fake
	queue  *simQueue
	killed map[string]bool
	kills  int
}

func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// shouldKill picks the runs whose first recording is lost: one in
// killEvery, by a hash of the run, once each.
func (s *simulation) shouldKill(key ledger.Key) bool {
	if s.opts.killEvery == 0 || s.killed[key.String()] || hash(key.String())%uint32(s.opts.killEvery) != 0 {
		return false
	}
	s.killed[key.String()] = true
	s.kills++
	return true
}

func burstApp(i int) string { return fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", i) }

// runBurst runs one simulation to the end: every message deleted.
func runBurst(tb testing.TB, opts burstOptions) burstResult {
	tb.Helper()
	wallStart := time.Now()
	scheduled := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	clk := clock.NewFake(scheduled)
	tenant := qliktest.New(tb, qliktest.WithClock(clk.Now), qliktest.WithLimits(opts.limits))
	tenant.AutoCreateApps(true)
	tenant.AddAPIKey(apiKey)
	tenant.AddOAuthClient(clientID, clientSecret)
	secret := apiKey
	if opts.oauth {
		secret = `{"clientId":"` + clientID + `","clientSecret":"` + clientSecret + `"}`
	}
	q := &simQueue{clk: clk}
	sim := &simulation{opts: opts, clk: clk, queue: q, killed: map[string]bool{}}
	for i := range opts.rows {
		b := body(burstApp(i), fmt.Sprintf("row-%d", i), scheduled, "")
		q.msgs = append(q.msgs, &simMessage{id: fmt.Sprint("m", i), body: b, visibleAt: scheduled})
		if opts.copyEvery > 0 && hash(b)%uint32(opts.copyEvery) == 0 {
			// Standard queues deliver some messages twice; Scheduler may
			// also send a run again.
			q.msgs = append(q.msgs, &simMessage{id: fmt.Sprint("m", i, "-copy"), body: b, visibleAt: scheduled.Add(time.Second)})
		}
	}
	table := dynalite.LedgerTable(tb)

	type instance struct {
		hs        *harness
		ledger    *countingLedger
		busyUntil time.Time
	}
	instances := make([]*instance, opts.concurrency)
	for i := range instances {
		inst := &instance{busyUntil: scheduled}
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		inst.hs = newHarness(tb, harnessOptions{
			secret: secret, clk: clk, tenant: tenant, table: table, discardLogs: true,
			ledger: func(l runs.Ledger) runs.Ledger {
				inst.ledger = &countingLedger{Ledger: l, sim: sim}
				return inst.ledger
			},
		})
		inst.hs.consumer = rejitter(tb, inst.hs, q, rng)
		instances[i] = inst
	}

	res := burstResult{messages: len(q.msgs)}
	for steps := 0; ; steps++ {
		if steps > 100*len(q.msgs) {
			tb.Fatalf("the queue did not drain after %d invocations", steps)
		}
		next, any := q.nextVisible()
		if !any {
			break
		}
		inst := slices.MinFunc(instances, func(a, b *instance) int { return a.busyUntil.Compare(b.busyUntil) })
		at := next
		if inst.busyUntil.After(at) {
			at = inst.busyUntil
		}
		if d := at.Sub(clk.Now()); d > 0 {
			clk.Advance(d)
		}
		records := q.receive(clk.Now(), simBatchSize)
		if len(records) == 0 {
			continue
		}
		ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(simFunctionTimeout))
		inv := &simInvocation{cancel: cancel}
		q.mu.Lock()
		q.current = inv
		calls := q.calls
		q.mu.Unlock()
		requests := tenantRequests(tenant)
		ledgerCalls := inst.ledger.calls
		resp, err := inst.hs.consumer.HandleQueue(ctx, events.SQSEvent{Records: records})
		cancel()
		if err != nil {
			tb.Fatalf("HandleQueue: %v", err)
		}
		res.invocations++
		if !inv.killed {
			failed := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				failed[f.ItemIdentifier] = true
			}
			for _, r := range records {
				if !failed[r.MessageId] {
					q.delete(r.MessageId)
				}
			}
		}
		busy := simInvokeOverhead +
			time.Duration(tenantRequests(tenant)-requests)*simQlikRequest +
			time.Duration(inst.ledger.calls-ledgerCalls)*simLedgerCall +
			time.Duration(q.calls-calls)*simQueueCall
		inst.busyUntil = clk.Now().Add(busy)
	}

	reqs := tenant.CreateRequests()
	res.reloads = len(reqs)
	apps := map[string]bool{}
	for _, r := range reqs {
		apps[r.AppID] = true
	}
	res.distinctApps = len(apps)
	res.deadLetters = len(q.dead)
	res.killed = sim.kills
	res.qlikRequests = tenantRequests(tenant)
	res.tokens = tenant.TokenRequests()
	res.limited = tenant.RateLimited(qliktest.TierStarts) + tenant.RateLimited(qliktest.TierReads) + tenant.RateLimited(qliktest.TierTokens)
	var last time.Time
	for i := range opts.rows {
		run, ok, err := instances[0].hs.ledger.Get(context.Background(), ledger.Key{Row: fmt.Sprintf("row-%d", i), ScheduledTime: scheduled})
		if err != nil {
			tb.Fatal(err)
		}
		if !ok || run.ReloadID == "" {
			res.runsWithoutReload++
			continue
		}
		res.extraAttempts += run.Attempts - 1
		if rl, ok := tenant.Reload(run.ReloadID); ok && rl.CreationTime.After(last) {
			last = rl.CreationTime.Time
		}
	}
	res.drain = last.Sub(scheduled)
	res.allowed = time.Duration((opts.rows-1)/opts.limits.Starts) * opts.limits.Window
	res.wall = time.Since(wallStart)
	return res
}

// rejitter rebuilds an instance's consumer on the simulated queue with a
// seeded jitter, so that the simulation repeats exactly.
func rejitter(tb testing.TB, hs *harness, q *simQueue, rng *rand.Rand) *runs.Consumer {
	tb.Helper()
	c, err := runs.New(runs.Config{
		Starter: hs.starter, Ledger: hs.runsLedger, Queue: q, StartQueueURL: startURL, DeadLetterQueueURL: deadURL,
		Clock: hs.clk,
		Jitter: func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return time.Duration(rng.Int64N(int64(d) + 1))
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func tenantRequests(t *qliktest.Tenant) int {
	n := 0
	for _, r := range []string{qliktest.RouteGetApp, qliktest.RouteListReloads, qliktest.RouteCreateReload, qliktest.RouteGetReload, qliktest.RouteToken} {
		n += t.Count(r)
	}
	return n
}

func (r burstResult) String() string {
	return fmt.Sprintf("%d reloads of %d apps from %d messages in %d invocations; drained in %s, Qlik's start limit allows %s (%+.1f%%); %d dead letters, %d instances stopped mid-run, %d Qlik requests (%.2f per reload, %d refused for a limit, %d tokens); simulated in %s",
		r.reloads, r.distinctApps, r.messages, r.invocations, r.drain.Round(time.Second), r.allowed,
		100*(r.drain.Seconds()-r.allowed.Seconds())/max(r.allowed.Seconds(), 1),
		r.deadLetters, r.killed, r.qlikRequests, float64(r.qlikRequests)/float64(max(r.reloads, 1)), r.limited, r.tokens, r.wall.Round(time.Millisecond))
}

// TestBurst: 500 rows due in the same minute, five instances, Qlik's
// limits: every run starts exactly once and none is dead-lettered; again
// with instances stopped between the 201 and the ledger write on 5% of
// runs and 10% of messages delivered twice. With -short, 100 rows against
// a start limit scaled down to a fifth.
func TestBurst(t *testing.T) {
	rows, limits := 500, qliktest.QlikLimits
	if testing.Short() {
		rows = 100
		limits.Starts /= 5
	}
	for _, tt := range []struct {
		name                 string
		killEvery, copyEvery int
	}{
		{name: "clean"},
		{name: "faults", killEvery: 20, copyEvery: 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := runBurst(t, burstOptions{rows: rows, concurrency: 5, limits: limits, killEvery: tt.killEvery, copyEvery: tt.copyEvery, oauth: true})
			t.Log(res)
			if res.reloads != rows || res.distinctApps != rows {
				t.Errorf("%d reloads of %d apps, want exactly %d, one per row", res.reloads, res.distinctApps, rows)
			}
			if res.deadLetters != 0 || res.runsWithoutReload != 0 {
				t.Errorf("%d dead letters and %d runs without a reload, want none", res.deadLetters, res.runsWithoutReload)
			}
			if tt.killEvery > 0 && res.killed == 0 {
				t.Error("no instance was stopped: the fault was not exercised")
			}
		})
	}
}

// BenchmarkBurst500 measures the 500-row burst with the defaults
// (concurrency 5) against Qlik's limits: the drain time beside what the
// start limit allows, and Qlik requests per started reload.
func BenchmarkBurst500(b *testing.B) {
	for range b.N {
		res := runBurst(b, burstOptions{rows: 500, concurrency: 5, limits: qliktest.QlikLimits, oauth: true})
		if res.reloads != 500 || res.deadLetters != 0 {
			b.Fatalf("burst: %s", res)
		}
		b.Log(res)
		b.ReportMetric(res.drain.Minutes(), "drain-min")
		b.ReportMetric(res.allowed.Minutes(), "limit-min")
		b.ReportMetric(100*(res.drain.Seconds()-res.allowed.Seconds())/res.allowed.Seconds(), "over-limit-%")
		b.ReportMetric(float64(res.qlikRequests)/float64(res.reloads), "qlik-req/reload")
		b.ReportMetric(float64(res.wall.Milliseconds())/float64(res.messages), "wall-ms/msg")
	}
}

// BenchmarkSteadyRequests measures Qlik requests per started reload when
// no limit is reached (40 rows in a minute), without the status poll.
func BenchmarkSteadyRequests(b *testing.B) {
	for range b.N {
		res := runBurst(b, burstOptions{rows: 40, concurrency: 5, limits: qliktest.QlikLimits, oauth: true})
		if res.reloads != 40 {
			b.Fatalf("steady: %s", res)
		}
		b.ReportMetric(float64(res.qlikRequests-res.tokens)/float64(res.reloads), "qlik-req/reload")
		b.ReportMetric(float64(res.tokens), "tokens")
	}
}

// BenchmarkQueueMessage measures the function's own time per start-queue
// message (batches of ten, each message a new run of its own app) against
// the local fakes and dynalite: decoding, the claim, three Qlik requests
// and the ledger write, without network latency.
func BenchmarkQueueMessage(b *testing.B) {
	hs := newHarness(b, harnessOptions{discardLogs: true})
	hs.tenant.AutoCreateApps(true)
	at := hs.clk.Now().Truncate(time.Minute)
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var records []events.SQSMessage
		for range simBatchSize {
			records = append(records, message(fmt.Sprint("m", n), body(burstApp(n), fmt.Sprintf("row-%d", n), at, ""), 1))
			n++
		}
		if resp := hs.handle(b, records...); len(resp.BatchItemFailures) != 0 {
			b.Fatalf("failures %+v", resp.BatchItemFailures)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(n), "ms/msg")
	b.ReportMetric(float64(tenantRequests(hs.tenant))/float64(hs.tenant.ReloadsCreated()), "qlik-req/reload")
}
