package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/dynamotest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/secretsmanagertest"
)

// The function's tests share one dynalite and one ledger table (runs are
// keyed by app and second, so tests do not meet), and one fake SQS.
var (
	dynalite    *dynamotest.Server
	ledgerTable string
	fakeSQS     *sqsServer
)

const (
	startQueueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/QlikReloads-test-Start"
	deadQueueURL  = "https://sqs.eu-west-1.amazonaws.com/123456789012/QlikReloads-test-Dead"
)

func TestMain(m *testing.M) {
	fakeSQS = newSQSServer()
	code := dynamotest.Main(m, &dynalite, func(s *dynamotest.Server) error {
		ledgerTable = s.NewTableName("ledger")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return dynamotest.CreateLedgerTable(ctx, s.Client(), ledgerTable)
	})
	fakeSQS.srv.Close()
	os.Exit(code)
}

// runsEnv points the function at the ledger table and the queues.
func runsEnv() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":  dynalite.URL,
		"AWS_ENDPOINT_URL_SQS":       fakeSQS.srv.URL,
		"QLIK_LEDGER_TABLE":          ledgerTable,
		"QLIK_START_QUEUE_URL":       startQueueURL,
		"QLIK_DEAD_LETTER_QUEUE_URL": deadQueueURL,
	}
}

// sqsCall is one request the fake SQS received.
type sqsCall struct {
	Action            string
	QueueURL          string `json:"QueueUrl"`
	ReceiptHandle     string
	VisibilityTimeout int
	MessageBody       string
	MessageAttributes map[string]struct {
		DataType    string
		StringValue string
	}
}

// sqsServer speaks SQS's JSON protocol for the two calls the function
// makes, ChangeMessageVisibility and SendMessage, and records them.
type sqsServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []sqsCall
}

func newSQSServer() *sqsServer {
	s := &sqsServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *sqsServer) serve(w http.ResponseWriter, r *http.Request) {
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	var call sqsCall
	if !ok || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") || json.NewDecoder(r.Body).Decode(&call) != nil {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"com.amazonaws.sqs#InvalidAddress","message":"bad request"}`)
		return
	}
	call.Action = action
	s.mu.Lock()
	s.calls = append(s.calls, call)
	n := len(s.calls)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch action {
	case "SendMessage":
		sum := md5.Sum([]byte(call.MessageBody))
		fmt.Fprintf(w, `{"MessageId":"dl-%d","MD5OfMessageBody":%q}`, n, hex.EncodeToString(sum[:]))
	case "ChangeMessageVisibility":
		fmt.Fprint(w, `{}`)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#UnsupportedOperation","message":"%s"}`, action)
	}
}

func (s *sqsServer) callsFor(receiptOrBody string) []sqsCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sqsCall
	for _, c := range s.calls {
		if c.ReceiptHandle == receiptOrBody || c.MessageBody == receiptOrBody {
			out = append(out, c)
		}
	}
	return out
}

// TestBootstrapStartQueue runs the built function on start-queue batches
// through the Runtime API, with the ledger on dynalite and SQS reached
// through the SDK's endpoint variables: a message starts its reload once,
// a late one goes to the dead-letter queue, a rate-limited one comes back
// after Qlik's Retry-After, and a direct invocation still answers.
func TestBootstrapStartQueue(t *testing.T) {
	bin := buildBootstrap(t)
	tenant := qliktest.New(t)
	tenant.AddAPIKey(e2eKey)
	tenant.AutoCreateApps(true)
	secrets := secretsmanagertest.New(t)
	secrets.Put(e2eSecretName, e2eKey)
	api := newRuntimeAPI(t)
	env := functionEnv(api, tenant.URL, secrets.URL, secretsmanagertest.ARN(e2eSecretName))
	startProcess(t, bin, env)
	api.waitFirstNext(t, 10*time.Second)

	now := time.Now().UTC().Truncate(time.Second)
	app := func(i int) string { return fmt.Sprintf("77777777-0000-4000-8000-%012d", i) }
	record := func(id, body string) events.SQSMessage {
		return events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: body, EventSource: "aws:sqs",
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
	}
	fresh := fmt.Sprintf(`{"appId":%q,"row":"e2e-fresh","scheduledTime":%q}`, app(1), now.Format(time.RFC3339))
	late := fmt.Sprintf(`{"appId":%q,"row":"e2e-late","scheduledTime":%q}`, app(2), now.Add(-2*time.Hour).Format(time.RFC3339))
	limited := fmt.Sprintf(`{"appId":%q,"row":"e2e-limited","scheduledTime":%q}`, app(3), now.Format(time.RFC3339))
	batch := func(records ...events.SQSMessage) events.SQSEventResponse {
		t.Helper()
		payload, err := json.Marshal(events.SQSEvent{Records: records})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := api.invoke(t, string(payload), 30*time.Second)
		if a.kind != "response" {
			t.Fatalf("answer %s %s, want a response", a.kind, a.body)
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(a.body, &resp); err != nil {
			t.Fatalf("response %s: %v", a.body, err)
		}
		return resp
	}

	resp := batch(record("m1", fresh), record("m2", late))
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("first batch: failures %+v, want none", resp.BatchItemFailures)
	}
	if n := tenant.ReloadsCreated(); n != 1 {
		t.Errorf("%d reloads, want 1", n)
	}
	if calls := fakeSQS.callsFor(late); len(calls) != 1 || calls[0].QueueURL != deadQueueURL || calls[0].MessageAttributes["errorType"].StringValue != "TooLate" {
		t.Errorf("dead letters of the late message = %+v, want one TooLate to the dead-letter queue", calls)
	}

	// The same message again (a second copy), and one that Qlik limits.
	tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(30*time.Second))
	resp = batch(record("m1-copy", fresh), record("m3", limited))
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m3" {
		t.Errorf("second batch: failures %+v, want m3 only", resp.BatchItemFailures)
	}
	if n := tenant.ReloadsCreated(); n != 1 {
		t.Errorf("%d reloads after a second copy and a rate limit, want 1", n)
	}
	if calls := fakeSQS.callsFor("rh-m3"); len(calls) != 1 || calls[0].VisibilityTimeout < 30 || calls[0].VisibilityTimeout > 33 || calls[0].QueueURL != startQueueURL {
		t.Errorf("visibility changes of m3 = %+v, want one of 30 to 33 s on the start queue", calls)
	}

	a, _ := api.invoke(t, `{"appId":"`+app(4)+`"}`, 30*time.Second)
	if a.kind != "response" || !strings.Contains(string(a.body), `"created":true`) {
		t.Errorf("direct invocation answered %s %s, want a created reload", a.kind, a.body)
	}
}
