package runs_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/watch"
)

// The apps of the chain tests, one per row, so that each row's reloads
// can be told apart in the fake tenant.
const (
	extractApp = "aaaaaaaa-0000-4000-8000-000000000001"
	stockApp   = "aaaaaaaa-0000-4000-8000-000000000002"
	transApp   = "aaaaaaaa-0000-4000-8000-000000000003"
)

// startQueue is the start queue as the chains see it: what they send
// waits there until the next minute delivers it to the function.
type startQueue struct {
	mu      sync.Mutex
	pending []string
}

func (q *startQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if aws.ToString(in.QueueUrl) != startURL {
		return nil, fmt.Errorf("sent to %s, not the start queue", aws.ToString(in.QueueUrl))
	}
	q.pending = append(q.pending, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{MessageId: aws.String(fmt.Sprint(len(q.pending)))}, nil
}

func (q *startQueue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.pending
	q.pending = nil
	return out
}

// alarmTopic records the watcher's alerts.
type alarmTopic struct {
	mu   sync.Mutex
	sent []string
}

func (a *alarmTopic) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = append(a.sent, aws.ToString(in.Message))
	return &sns.PublishOutput{MessageId: aws.String("alert")}, nil
}

// keySource hands the watcher's client the tenant's API key.
type keySource struct{}

func (keySource) Token(context.Context) (string, error) { return apiKey, nil }

// chainWorld is the reload function, the watcher and the chains as
// deployed, on one fake tenant, one ledger table on dynalite and one fake
// clock, with a start queue that hands the function, each minute, what the
// schedules, the rules and the chains sent.
type chainWorld struct {
	t       *testing.T
	hs      *harness
	cfg     *config.Config
	queue   *startQueue
	topic   *alarmTopic
	watcher *watch.Watcher
	seq     int
}

func newChainWorld(t *testing.T, table string) *chainWorld {
	t.Helper()
	cfg, err := config.Load("config/chains.yaml", []byte("tenantUrl: https://acme.eu.qlikcloud.com\nreloads:\n"+table))
	if err != nil {
		t.Fatal(err)
	}
	hs := newHarness(t, harnessOptions{noJitter: true})
	for _, app := range []string{extractApp, stockApp, transApp} {
		hs.tenant.AddApp(app, app, qliktest.ReloaderPrivileges...)
	}
	// The graph as the stacks bundle it with the function.
	var rows []chain.Row
	for _, r := range cfg.Reloads {
		if len(r.After) > 0 && r.Enabled {
			rows = append(rows, chain.Row{Name: r.Name, After: r.After, Message: r.Input()})
		}
	}
	graph, err := chain.New(rows)
	if err != nil {
		t.Fatal(err)
	}
	w := &chainWorld{t: t, hs: hs, cfg: cfg, queue: &startQueue{}, topic: &alarmTopic{}}
	starter, err := chain.NewStarter(chain.Config{Graph: graph, Ledger: hs.ledger, Queue: w.queue, QueueURL: startURL, Clock: hs.clk})
	if err != nil {
		t.Fatal(err)
	}
	client, err := qlik.NewClient(hs.tenant.URL, qlik.WithTokenSource(keySource{}), qlik.WithRetryMax(0), qlik.WithClock(hs.clk))
	if err != nil {
		t.Fatal(err)
	}
	w.watcher, err = watch.New(watch.Config{
		Ledger: hs.ledger, Tenant: client, Alerts: w.topic, TopicARN: "arn:aws:sns:eu-west-1:123456789012:alarms",
		Environment: "unit", Clock: hs.clk, Chains: starter,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *chainWorld) row(name string) config.Reload {
	for _, r := range w.cfg.Reloads {
		if r.Name == name {
			return r
		}
	}
	w.t.Fatalf("no row %s", name)
	return config.Reload{}
}

// schedule sends the row's message as its schedule does at the clock's
// minute, for a reload that follows phases, and returns the run's time.
func (w *chainWorld) schedule(row string, phases ...qliktest.Phase) time.Time {
	w.t.Helper()
	at := w.hs.clk.Now().Truncate(time.Minute)
	w.hs.tenant.SetTimeline(phases...)
	body := strings.Replace(w.row(row).Input(), config.ScheduledTimePlaceholder, at.UTC().Format(time.RFC3339), 1)
	w.deliver(body)
	return at
}

// deliver hands messages to the function as one batch.
func (w *chainWorld) deliver(bodies ...string) {
	w.t.Helper()
	var records []events.SQSMessage
	for _, b := range bodies {
		w.seq++
		records = append(records, message(fmt.Sprintf("m%d", w.seq), b, 1))
	}
	if got := failures(w.hs.handle(w.t, records...)); len(got) != 0 {
		w.t.Fatalf("the function put back %v", got)
	}
}

// minutes runs the world for n minutes: each minute the watcher's round,
// then what the start queue holds goes to the function, whose reloads
// follow phases.
func (w *chainWorld) minutes(n int, phases ...qliktest.Phase) {
	w.t.Helper()
	for range n {
		w.hs.clk.Advance(time.Minute)
		if _, err := w.watcher.Run(context.Background()); err != nil {
			w.t.Fatalf("watcher: %v", err)
		}
		if pending := w.queue.take(); len(pending) > 0 {
			w.hs.tenant.SetTimeline(phases...)
			w.deliver(pending...)
		}
	}
}

// created counts the reloads the function created of app.
func (w *chainWorld) created(app string) int {
	n := 0
	for _, rq := range w.hs.tenant.CreateRequests() {
		if rq.AppID == app {
			n++
		}
	}
	return n
}

const chainTable = `  - {name: extract, appId: ` + extractApp + `, schedule: cron(0 6 * * ? *)}
  - {name: transform, appId: ` + transApp + `, after: extract}
`

// TestChainStartsAfterUpstreamSucceeded: the extract succeeds after ten
// minutes; the watcher sees it and the transform starts once, as the run
// of the extract's scheduled time.
func TestChainStartsAfterUpstreamSucceeded(t *testing.T) {
	w := newChainWorld(t, chainTable)
	at := w.schedule("extract", qliktest.FinalPhases(0, 10*time.Minute, qlik.StatusSucceeded)...)
	w.minutes(60, qliktest.FinalPhases(0, 5*time.Minute, qlik.StatusSucceeded)...)

	if n := (w.created(transApp)); n != 1 {
		t.Fatalf("transform started %d times, want once", n)
	}
	run := w.hs.run(t, ledger.Key{Row: "transform", AppID: transApp, ScheduledTime: at})
	if run.ReloadID == "" || run.Status != "SUCCEEDED" {
		t.Errorf("transform's run %+v, want its reload, followed to SUCCEEDED", run)
	}
	extract := w.hs.run(t, ledger.Key{Row: "extract", AppID: extractApp, ScheduledTime: at})
	if !run.StartedAt.After(extract.EndedAt) {
		t.Errorf("transform started at %s, before the extract ended at %s", run.StartedAt, extract.EndedAt)
	}
	if len(w.topic.sent) != 0 {
		t.Errorf("alerts %v, want none", w.topic.sent)
	}
}

// TestChainHeldBackByFailure: the extract fails; the transform never
// starts, and the extract's alert names it.
func TestChainHeldBackByFailure(t *testing.T) {
	w := newChainWorld(t, chainTable)
	at := w.schedule("extract", qliktest.FinalPhases(0, 10*time.Minute, qlik.StatusFailed)...)
	w.minutes(60, qliktest.FinalPhases(0, 5*time.Minute, qlik.StatusSucceeded)...)

	if n := (w.created(transApp)); n != 0 {
		t.Fatalf("transform started %d times after the extract failed, want never", n)
	}
	if _, ok, err := w.hs.ledger.Get(context.Background(), ledger.Key{Row: "transform", AppID: transApp, ScheduledTime: at}); err != nil || ok {
		t.Errorf("the ledger has a transform run (err %v)", err)
	}
	if len(w.topic.sent) != 1 || !strings.Contains(w.topic.sent[0], "Held back:") || !strings.Contains(w.topic.sent[0], "transform") {
		t.Fatalf("alerts %q, want one that names transform as held back", w.topic.sent)
	}
}

// TestChainWaitsForSlowerUpstream: the transform runs after two extracts;
// the quicker one's success starts nothing; the slower one's starts it,
// once, as the run of the later extract's time.
func TestChainWaitsForSlowerUpstream(t *testing.T) {
	w := newChainWorld(t, `  - {name: extract, appId: `+extractApp+`, schedule: cron(0 6 * * ? *)}
  - {name: extract-stock, appId: `+stockApp+`, schedule: cron(15 6 * * ? *)}
  - {name: transform, appId: `+transApp+`, after: [extract, extract-stock]}
`)
	w.schedule("extract", qliktest.FinalPhases(0, 5*time.Minute, qlik.StatusSucceeded)...)
	w.minutes(15)
	stockAt := w.schedule("extract-stock", qliktest.FinalPhases(0, 40*time.Minute, qlik.StatusSucceeded)...)
	w.minutes(30, qliktest.FinalPhases(0, 5*time.Minute, qlik.StatusSucceeded)...)
	if n := (w.created(transApp)); n != 0 {
		t.Fatalf("transform started %d times while extract-stock still ran, want none", n)
	}
	w.minutes(60, qliktest.FinalPhases(0, 5*time.Minute, qlik.StatusSucceeded)...)
	if n := (w.created(transApp)); n != 1 {
		t.Fatalf("transform started %d times after both extracts, want once", n)
	}
	run := w.hs.run(t, ledger.Key{Row: "transform", AppID: transApp, ScheduledTime: stockAt})
	stock := w.hs.run(t, ledger.Key{Row: "extract-stock", AppID: stockApp, ScheduledTime: stockAt})
	if run.ReloadID == "" || !run.StartedAt.After(stock.EndedAt) {
		t.Errorf("transform's run %+v, want its reload started after extract-stock ended at %s", run, stock.EndedAt)
	}
}

// TestEventsThenChain: 50 files in a minute start one reload of the event
// row; its success starts the row after it once.
func TestEventsThenChain(t *testing.T) {
	w := newChainWorld(t, `  - {name: files, appId: `+extractApp+`, on: {s3: {bucket: acme-exports, prefix: stock/}}}
  - {name: transform, appId: `+transApp+`, after: files}
`)
	w.hs.tenant.SetTimeline(qliktest.FinalPhases(0, 3*time.Minute, qlik.StatusSucceeded)...)
	first := w.hs.clk.Now()
	var bodies []string
	for i := range 50 {
		bodies = append(bodies, eventBody(w.row("files"), first.Add(time.Duration(i)*time.Second)))
	}
	for i := 0; i < len(bodies); i += 10 {
		w.deliver(bodies[i : i+10]...)
	}
	w.minutes(30, qliktest.FinalPhases(0, 3*time.Minute, qlik.StatusSucceeded)...)
	if n := (w.created(extractApp)); n != 1 {
		t.Errorf("50 events started %d reloads, want 1", n)
	}
	if n := (w.created(transApp)); n != 1 {
		t.Errorf("the row after them started %d times, want once", n)
	}
}
