package runs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/dynamotest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/runs"
)

const (
	secretID     = "qlik-reload-triggers/test"
	apiKey       = "eyJhbGciOiJFUzM4NCJ9.runs-test-api-key.c2ln"
	clientID     = "runs-test-client"
	clientSecret = "runs-test-client-secret"
	salesApp     = "116dbfae-7fb9-4983-8e23-5ccd8c508722"
	readOnlyApp  = "33333333-3333-4333-8333-333333333333"
	missingApp   = "44444444-4444-4444-8444-444444444444"
	startURL     = "https://sqs.eu-west-1.amazonaws.com/123456789012/start"
	deadURL      = "https://sqs.eu-west-1.amazonaws.com/123456789012/dead"
)

// dynalite is one server for the package's tests; each harness makes a
// table of its own.
var dynalite *dynamotest.Server

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m, &dynalite)) }

// secrets is a Secrets Manager that holds one secret.
type secrets struct{ value string }

func (s secrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String(s.value)}, nil
}

// visibility is one ChangeMessageVisibility call.
type visibility struct {
	receipt string
	seconds int32
	at      time.Time
}

// queue records the SQS calls; sendErr makes SendMessage fail.
type queue struct {
	clk     clock.Clock
	mu      sync.Mutex
	changes []visibility
	sent    []*sqs.SendMessageInput
	sendErr error
}

func (q *queue) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if aws.ToString(in.QueueUrl) != startURL {
		return nil, fmt.Errorf("ChangeMessageVisibility on %s, not the start queue", aws.ToString(in.QueueUrl))
	}
	q.changes = append(q.changes, visibility{receipt: aws.ToString(in.ReceiptHandle), seconds: in.VisibilityTimeout, at: q.clk.Now()})
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (q *queue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.sendErr != nil {
		return nil, q.sendErr
	}
	if aws.ToString(in.QueueUrl) != deadURL {
		return nil, fmt.Errorf("SendMessage to %s, not the dead-letter queue", aws.ToString(in.QueueUrl))
	}
	q.sent = append(q.sent, in)
	return &sqs.SendMessageOutput{MessageId: aws.String(fmt.Sprintf("dl-%d", len(q.sent)))}, nil
}

// harness is the function's queue side wired as in production, against
// the fake tenant, dynalite and a recording queue.
type harness struct {
	tenant   *qliktest.Tenant
	clk      *clock.Fake
	ledger   *ledger.Ledger
	queue    *queue
	consumer *runs.Consumer
	// starter and runsLedger are what the consumer was built with.
	starter    runs.Starter
	runsLedger runs.Ledger
	logs       *strings.Builder
	metrics    *strings.Builder
}

type harnessOptions struct {
	// secret is the credential; an API key by default.
	secret string
	// limits, when set, makes the tenant enforce them.
	limits *qliktest.Limits
	// ledger wraps the ledger (to inject faults).
	ledger func(runs.Ledger) runs.Ledger
	// noJitter makes every jitter zero.
	noJitter bool
	// clk is a shared clock; a new one by default.
	clk *clock.Fake
	// tenant is a shared tenant; a new one by default.
	tenant *qliktest.Tenant
	// table is a shared ledger table; a new one by default.
	table string
	// queue is a shared queue; a new one by default.
	queue *queue
	// discardLogs keeps no logs (the simulation's many instances).
	discardLogs bool
}

func newHarness(t testing.TB, opts harnessOptions) *harness {
	t.Helper()
	clk := opts.clk
	if clk == nil {
		clk = clock.NewFake(time.Now().Truncate(time.Minute).Add(time.Minute))
	}
	tenant := opts.tenant
	if tenant == nil {
		var topts []qliktest.Option
		topts = append(topts, qliktest.WithClock(clk.Now))
		if opts.limits != nil {
			topts = append(topts, qliktest.WithLimits(*opts.limits))
		}
		tenant = qliktest.New(t, topts...)
		tenant.AddAPIKey(apiKey)
		tenant.AddOAuthClient(clientID, clientSecret)
		tenant.AddApp(salesApp, "Sales", qliktest.ReloaderPrivileges...)
		tenant.AddApp(readOnlyApp, "Board pack", qliktest.ReaderPrivileges...)
	}
	if opts.secret == "" {
		opts.secret = apiKey
	}
	hs := &harness{tenant: tenant, clk: clk, logs: &strings.Builder{}, metrics: &strings.Builder{}}
	var logger *slog.Logger
	if opts.discardLogs {
		logger = slog.New(slog.DiscardHandler)
	} else {
		logger = slog.New(slog.NewJSONHandler(&lockedWriter{w: hs.logs}, nil))
	}
	// The queue's client sends each request once: a rate limit or a
	// failure puts the message back instead of waiting in the function.
	common := []qlik.Option{qlik.WithClock(clk), qlik.WithLogger(logger), qlik.WithRetryMax(0)}
	exchanger, err := qlik.NewClient(tenant.URL, common...)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := credential.NewSource(secrets{opts.secret}, secretID, exchanger, credential.WithClock(clk), credential.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	client, err := qlik.NewClient(tenant.URL, append(common, qlik.WithTokenSource(creds))...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := reload.New(reload.Config{Client: client, Credentials: creds, Clock: clk, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	table := opts.table
	if table == "" {
		table = dynalite.LedgerTable(t)
	}
	hs.ledger, err = ledger.New(ledger.Config{DB: dynalite.Client(), Table: table, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	var l runs.Ledger = hs.ledger
	if opts.ledger != nil {
		l = opts.ledger(l)
	}
	hs.queue = opts.queue
	if hs.queue == nil {
		hs.queue = &queue{clk: clk}
	}
	metrics, err := emf.New(&lockedWriter{w: hs.metrics}, "QlikReloadTriggers", clk.Now, emf.Dimension{Name: "FunctionName", Value: "runs-test"})
	if err != nil {
		t.Fatal(err)
	}
	hs.starter, hs.runsLedger = h, l
	cfg := runs.Config{
		Starter: h, Ledger: l, Queue: hs.queue, StartQueueURL: startURL, DeadLetterQueueURL: deadURL,
		Clock: clk, Logger: logger, Metrics: metrics,
	}
	if opts.noJitter {
		cfg.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	hs.consumer, err = runs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// message builds a start-queue record as the event source mapping
// delivers it.
func message(id, body string, receives int) events.SQSMessage {
	return events.SQSMessage{
		MessageId:      id,
		ReceiptHandle:  "receipt-" + id,
		Body:           body,
		Attributes:     map[string]string{"ApproximateReceiveCount": fmt.Sprint(receives)},
		EventSource:    "aws:sqs",
		EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:start",
		AWSRegion:      "eu-west-1",
	}
}

func body(appID, row string, scheduled time.Time, extra string) string {
	return fmt.Sprintf(`{"appId":%q,"row":%q,"scheduledTime":%q%s}`, appID, row, scheduled.UTC().Format(time.RFC3339), extra)
}

// handle runs one batch with a Lambda-like deadline a minute away.
func (hs *harness) handle(t testing.TB, records ...events.SQSMessage) events.SQSEventResponse {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), hs.clk.Now().Add(time.Minute))
	defer cancel()
	resp, err := hs.consumer.HandleQueue(ctx, events.SQSEvent{Records: records})
	if err != nil {
		t.Fatalf("HandleQueue: %v", err)
	}
	return resp
}

func (hs *harness) run(t testing.TB, key ledger.Key) ledger.Run {
	t.Helper()
	r, ok, err := hs.ledger.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("the ledger has no run %s", key)
	}
	return r
}
