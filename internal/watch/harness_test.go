package watch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/dynamotest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/watch"
)

const (
	apiKey   = "eyJhbGciOiJFUzM4NCJ9.watch-test-api-key.c2ln"
	topicARN = "arn:aws:sns:eu-west-1:123456789012:alarms"
	env      = "prod"
	salesApp = "116dbfae-7fb9-4983-8e23-5ccd8c508722"
	goneApp  = "22222222-2222-4222-8222-222222222222"
)

// start is the fake clock's start: 08:00 in Stockholm.
var start = time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)

var dynalite *dynamotest.Server

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m, &dynalite)) }

// apiKeySource is an API key as the credential source holds it: the
// token, and the secret the client removes from what Qlik sends.
type apiKeySource struct{}

func (apiKeySource) Token(context.Context) (string, error) { return apiKey, nil }
func (apiKeySource) Secrets() []string                     { return []string{apiKey} }

// topic records the alerts published to it.
type topic struct {
	mu   sync.Mutex
	sent []*sns.PublishInput
	fail error
}

func (t *topic) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail != nil {
		return nil, t.fail
	}
	t.sent = append(t.sent, in)
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprint(len(t.sent)))}, nil
}

func (t *topic) messages() []*sns.PublishInput {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*sns.PublishInput(nil), t.sent...)
}

// metrics keeps the embedded-metric lines the watcher writes.
type metrics struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (m *metrics) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Write(p)
}

// records returns every metric record, decoded.
func (m *metrics) records(t *testing.T) []map[string]any {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(m.buf.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// harness is a ledger on dynalite, a fake tenant and a fake clock, with
// what the watcher sends.
type harness struct {
	t       testing.TB
	clock   *clock.Fake
	tenant  *qliktest.Tenant
	ledger  *ledger.Ledger
	client  *qlik.Client
	topic   *topic
	metrics *metrics
}

func newHarness(t testing.TB, opts ...qliktest.Option) *harness {
	t.Helper()
	clk := clock.NewFake(start)
	tenant := qliktest.New(t, append([]qliktest.Option{qliktest.WithClock(clk.Now)}, opts...)...)
	tenant.AddAPIKey(apiKey)
	tenant.AddApp(salesApp, "Sales", qliktest.ReloaderPrivileges...)
	tenant.AddApp(goneApp, "Old sales", qliktest.ReloaderPrivileges...)
	client, err := qlik.NewClient(tenant.URL, qlik.WithTokenSource(apiKeySource{}), qlik.WithRetryMax(0), qlik.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	led, err := ledger.New(ledger.Config{DB: dynalite.Client(), Table: dynalite.LedgerTable(t), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, clock: clk, tenant: tenant, ledger: led, client: client, topic: &topic{}, metrics: &metrics{}}
}

func (h *harness) watcher(budget int, maxRun time.Duration) *watch.Watcher {
	h.t.Helper()
	mw, err := emf.New(h.metrics, "QlikReloadTriggers", h.clock.Now, emf.Dimension{Name: "Environment", Value: env})
	if err != nil {
		h.t.Fatal(err)
	}
	w, err := watch.New(watch.Config{
		Ledger: h.ledger, Tenant: h.client, Alerts: h.topic, TopicARN: topicARN, Environment: env,
		ReadsPerMinute: budget, MaxRun: maxRun, Clock: h.clock, Metrics: mw,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return w
}

// startRun records a started run of row at the clock's minute, as the
// reload function would: claimed, then its reload recorded.
func (h *harness) startRun(row, appID, zone, log string, phases ...qliktest.Phase) ledger.Key {
	h.t.Helper()
	ctx := context.Background()
	now := h.clock.Now()
	key := ledger.Key{Row: row, AppID: appID, ScheduledTime: now.Truncate(time.Minute)}
	if _, err := h.ledger.Claim(ctx, ledger.ClaimRequest{Key: key, LeaseUntil: now.Add(time.Minute), TimeZone: zone}); err != nil {
		h.t.Fatal(err)
	}
	id := h.tenant.AddRunningReload(appID, log, phases...)
	if err := h.ledger.RecordStart(ctx, key, ledger.Start{ReloadID: id, Status: "QUEUED", Created: true, StartedAt: now}); err != nil {
		h.t.Fatal(err)
	}
	return key
}

func (h *harness) run(key ledger.Key) ledger.Run {
	h.t.Helper()
	r, ok, err := h.ledger.Get(context.Background(), key)
	if err != nil || !ok {
		h.t.Fatalf("run %s: ok=%v err=%v", key, ok, err)
	}
	return r
}

// readsPerMinute counts the tenant's reads (reloads and apps) in each
// minute of the fake clock.
func (h *harness) readsPerMinute() map[time.Time]int {
	out := map[time.Time]int{}
	for _, route := range []string{qliktest.RouteGetReload, qliktest.RouteGetApp} {
		for _, at := range h.tenant.RequestTimes(route) {
			out[at.Truncate(time.Minute)]++
		}
	}
	return out
}
