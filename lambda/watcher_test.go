package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/dynamotest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/secretsmanagertest"
)

const alarmTopic = "arn:aws:sns:eu-west-1:123456789012:QlikReloads-test-Alarms"

// snsServer speaks SNS's query protocol for Publish and records what was
// published.
type snsServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []url.Values
}

func newSNSServer(t *testing.T) *snsServer {
	s := &snsServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "Publish" ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>bad request</Message></Error></ErrorResponse>`)
			return
		}
		s.mu.Lock()
		s.sent = append(s.sent, r.Form)
		n := len(s.sent)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-%d</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`, n)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *snsServer) published() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.sent...)
}

// TestBootstrapWatcher runs the built function as the watcher through the
// Runtime API: a failed reload of a run in the ledger is recorded once and
// alerted to the topic without the credential; anything but the
// schedule's event fails the invocation.
func TestBootstrapWatcher(t *testing.T) {
	bin := buildBootstrap(t)
	tenant := qliktest.New(t)
	tenant.AddAPIKey(e2eKey)
	tenant.AutoCreateApps(true)
	secrets := secretsmanagertest.New(t)
	secrets.Put(e2eSecretName, e2eKey)
	sns := newSNSServer(t)
	table := dynalite.NewTableName("watched")
	ctx := context.Background()
	if err := dynamotest.CreateLedgerTable(ctx, dynalite.Client(), table); err != nil {
		t.Fatal(err)
	}

	// A run the reload function started, whose reload then failed.
	const app = "77777777-0000-4000-8000-000000000100"
	led, err := ledger.New(ledger.Config{DB: dynalite.Client(), Table: table})
	if err != nil {
		t.Fatal(err)
	}
	key := ledger.Key{Row: "e2e-watched", AppID: app, ScheduledTime: time.Now().UTC().Truncate(time.Minute)}
	if _, err := led.Claim(ctx, ledger.ClaimRequest{Key: key, LeaseUntil: time.Now().Add(time.Minute), TimeZone: "Europe/Stockholm"}); err != nil {
		t.Fatal(err)
	}
	id := tenant.AddRunningReload(app, "LIB CONNECT TO 'x' ("+e2eKey+");\nError: Field not found: <Amount>\n",
		qliktest.FinalPhases(0, 0, qlik.StatusFailed)...)
	if err := led.RecordStart(ctx, key, ledger.Start{ReloadID: id, Status: "QUEUED", Created: true}); err != nil {
		t.Fatal(err)
	}

	api := newRuntimeAPI(t)
	env := functionEnv(api, tenant.URL, secrets.URL, secretsmanagertest.ARN(e2eSecretName))
	for _, k := range []string{"QLIK_START_QUEUE_URL", "QLIK_DEAD_LETTER_QUEUE_URL"} {
		delete(env, k)
	}
	env["QLIK_MODE"] = "watcher"
	env["QLIK_LEDGER_TABLE"] = table
	env["QLIK_ALARM_TOPIC_ARN"] = alarmTopic
	env["QLIK_ENVIRONMENT"] = "test"
	env["AWS_ENDPOINT_URL_SNS"] = sns.srv.URL
	startProcess(t, bin, env)
	api.waitFirstNext(t, 10*time.Second)

	a, _ := api.invoke(t, `{"watch":"runs"}`, 30*time.Second)
	if a.kind != "response" {
		t.Fatalf("watcher answered %s %s, want its report", a.kind, a.body)
	}
	var rep struct{ Reads, Finished, Alerts int }
	if err := json.Unmarshal(a.body, &rep); err != nil || rep.Reads != 1 || rep.Finished != 1 || rep.Alerts != 1 {
		t.Errorf("report %s, want one read, one run finished and alerted", a.body)
	}
	run, _, err := led.Get(ctx, key)
	if err != nil || run.Status != "FAILED" || run.OpenShard != "" || !strings.Contains(run.ErrorSummary, "Field not found") {
		t.Errorf("run after the round: %+v, %v", run, err)
	}
	sent := sns.published()
	if len(sent) != 1 || sent[0].Get("TopicArn") != alarmTopic || !strings.Contains(sent[0].Get("Message"), "e2e-watched") ||
		strings.Contains(sent[0].Get("Message"), e2eKey) {
		t.Errorf("published %v, want one alert naming the row, without the key", sent)
	}

	a, _ = api.invoke(t, `{"appId":"`+app+`"}`, 30*time.Second)
	if a.kind != "error" || !strings.Contains(string(a.body), "InvalidEvent") {
		t.Errorf("a reload event to the watcher answered %s %s, want an InvalidEvent error", a.kind, a.body)
	}
}
