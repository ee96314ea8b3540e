package reload_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

const (
	secretID     = "qlik-reload-triggers/test"
	apiKey       = "eyJhbGciOiJFUzM4NCJ9.handler-test-api-key.c2ln"
	newAPIKey    = "eyJhbGciOiJFUzM4NCJ9.handler-test-rotated-key.c2ln"
	clientID     = "handler-test-client"
	clientSecret = "handler-test-client-secret"
	otherAppID   = "22222222-2222-4222-8222-222222222222"
	readOnlyApp  = "33333333-3333-4333-8333-333333333333"
	// tokenMarker is part of every access token the fake tenant issues.
	tokenMarker = "fake-access-token"
)

// syncBuffer collects output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes each line as a JSON object.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// fakeSecrets is a counting, changeable Secrets Manager.
type fakeSecrets struct {
	mu    sync.Mutex
	value string
	reads int
}

func (s *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String(s.value)}, nil
}

func (s *fakeSecrets) set(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = v
}

func (s *fakeSecrets) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

type harness struct {
	tenant  *qliktest.Tenant
	front   *qliktest.H2Front
	clk     *clock.Fake
	secrets *fakeSecrets
	logs    *syncBuffer
	metrics *syncBuffer
	h       *reload.Handler
	// seen collects every result and error text, for the secret scan.
	seen []string
}

type harnessOptions struct {
	secret         string
	waitTimeout    time.Duration
	requestTimeout time.Duration
	// secretTTL is the credential source's TTL; zero means the default.
	secretTTL time.Duration
	// http2 puts a real HTTP/2 front between the handler and the tenant.
	http2 bool
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()
	if opts.secret == "" {
		opts.secret = apiKey
	}
	if opts.waitTimeout == 0 {
		opts.waitTimeout = reload.DefaultWaitTimeout
	}
	if opts.requestTimeout == 0 {
		opts.requestTimeout = qlik.DefaultRequestTimeout
	}
	clk := clock.NewFake(time.Now())
	tenant := qliktest.New(t, qliktest.WithClock(clk.Now))
	tenant.AddAPIKey(apiKey)
	tenant.AddOAuthClient(clientID, clientSecret)
	tenant.AddApp(testAppID, "Sales", qliktest.ReloaderPrivileges...)
	tenant.AddApp(otherAppID, "Finance", qliktest.ReloaderPrivileges...)
	tenant.AddApp(readOnlyApp, "Board pack", qliktest.ReaderPrivileges...)

	hs := &harness{tenant: tenant, clk: clk, secrets: &fakeSecrets{value: opts.secret}, logs: &syncBuffer{}, metrics: &syncBuffer{}}
	logger := slog.New(slog.NewJSONHandler(hs.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	common := []qlik.Option{qlik.WithClock(clk), qlik.WithLogger(logger), qlik.WithRequestTimeout(opts.requestTimeout)}
	baseURL := tenant.URL
	if opts.http2 {
		hs.front = tenant.NewH2Front(t)
		baseURL = hs.front.URL
		tr := qlik.NewTransport()
		tr.TLSClientConfig = &tls.Config{RootCAs: hs.front.CertPool()}
		t.Cleanup(tr.CloseIdleConnections)
		common = append(common, qlik.WithHTTPClient(&http.Client{Transport: tr}))
	}
	exchanger, err := qlik.NewClient(baseURL, common...)
	if err != nil {
		t.Fatal(err)
	}
	credOpts := []credential.Option{credential.WithClock(clk), credential.WithLogger(logger)}
	if opts.secretTTL != 0 {
		credOpts = append(credOpts, credential.WithTTL(max(opts.secretTTL, 0)))
	}
	creds, err := credential.NewSource(hs.secrets, secretID, exchanger, credOpts...)
	if err != nil {
		t.Fatal(err)
	}
	client, err := qlik.NewClient(baseURL, append(common, qlik.WithTokenSource(creds))...)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := emf.New(hs.metrics, "QlikReloadTriggers", clk.Now, emf.Dimension{Name: "FunctionName", Value: "reload-test"})
	if err != nil {
		t.Fatal(err)
	}
	wait := opts.waitTimeout
	if wait < 0 {
		wait = 0
	}
	hs.h, err = reload.New(reload.Config{
		Client: client, Credentials: creds, Clock: clk, Logger: logger, Metrics: metrics, WaitTimeout: wait,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.assertNoSecrets(t) })
	return hs
}

// invoke runs one invocation with a Lambda context and a deadline a
// minute away on the fake clock, like Lambda's. (The fake clock may run
// hours ahead of the real one across invocations.)
func (hs *harness) invoke(t *testing.T, payload string) (reload.Result, error) {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), hs.clk.Now().Add(time.Minute))
	defer cancel()
	return hs.invokeCtx(ctx, payload)
}

func (hs *harness) invokeCtx(ctx context.Context, payload string) (reload.Result, error) {
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "req-" + fmt.Sprint(len(hs.seen))})
	res, err := hs.h.Invoke(ctx, []byte(payload))
	b, _ := json.Marshal(res)
	hs.seen = append(hs.seen, string(b))
	if err != nil {
		hs.seen = append(hs.seen, err.Error(), fmt.Sprintf("%+v %#v", err, err))
	}
	return res, err
}

// assertNoSecrets scans everything the handler produced for a credential.
func (hs *harness) assertNoSecrets(t *testing.T) {
	t.Helper()
	all := hs.logs.String() + hs.metrics.String() + strings.Join(hs.seen, "\n")
	for _, secret := range []string{apiKey, newAPIKey, clientSecret, tokenMarker, "Bearer"} {
		if strings.Contains(all, secret) {
			t.Errorf("a credential (%q) appears in the logs, metrics, results or errors", secret)
		}
	}
}

func event(appID string) string { return `{"appId":"` + appID + `"}` }

// created returns the one reload the tenant created.
func (hs *harness) onlyReload(t *testing.T) qlik.Reload {
	t.Helper()
	if got := hs.tenant.ReloadsCreated(); got != 1 {
		t.Fatalf("reloads created = %d, want 1", got)
	}
	list, err := hs.listReloads(testAppID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.Type == "external" {
			return r
		}
	}
	t.Fatal("the created reload is not listed")
	return qlik.Reload{}
}

func (hs *harness) listReloads(appID string) ([]qlik.Reload, error) {
	c, err := qlik.NewClient(hs.tenant.URL, qlik.WithTokenSource(staticToken(apiKey)))
	if err != nil {
		return nil, err
	}
	return c.ListReloads(context.Background(), appID, 100)
}

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

func TestCreatesAReloadAndWaitsForItToStart(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	res, err := hs.invoke(t, `{"appId":"`+testAppID+`","partial":true,"variables":{"vRegion":"EMEA"},"weight":3}`)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	r := hs.onlyReload(t)
	want := reload.Result{AppID: testAppID, ReloadID: r.ID, Status: qlik.StatusReloading, Created: true,
		CreationTime: r.CreationTime.UTC().Format(time.RFC3339Nano)}
	if diff := cmp.Diff(res, want); diff != "" {
		t.Errorf("result mismatch (-got +want):\n%s", diff)
	}
	wantReq := []qlik.ReloadRequest{{AppID: testAppID, Partial: true, Variables: map[string]string{"vRegion": "EMEA"}, Weight: 3}}
	if diff := cmp.Diff(hs.tenant.CreateRequests(), wantReq); diff != "" {
		t.Errorf("POST bodies mismatch (-got +want):\n%s", diff)
	}
	// The default timeline queues a reload for one second: the wait sees
	// the start within half a second, and the whole invocation spends at
	// most six reads of the tenant's budget (app, list and polls).
	var waited time.Duration
	for _, d := range hs.clk.Slept() {
		waited += d
	}
	if waited < time.Second || waited > 1500*time.Millisecond {
		t.Errorf("waited %v for a reload queued 1 s, want 1 s to 1.5 s", waited)
	}
	reads := hs.tenant.Count(qliktest.RouteGetApp) + hs.tenant.Count(qliktest.RouteListReloads) + hs.tenant.Count(qliktest.RouteGetReload)
	if reads > 6 {
		t.Errorf("GETs = %d, want at most 6 for a reload queued one second", reads)
	}

	metrics := hs.metrics.lines(t)
	if len(metrics) != 1 {
		t.Fatalf("metric records = %d, want 1", len(metrics))
	}
	m := metrics[0]
	for name, want := range map[string]any{
		"ReloadsStarted": 1.0, "ReloadsAlreadyActive": 0.0, "TriggerFailures": 0.0, "ReloadsFailed": 0.0,
		"appId": testAppID, "reloadId": r.ID, "status": "RELOADING", "requestId": "req-0", "FunctionName": "reload-test",
	} {
		if !cmp.Equal(m[name], want) {
			t.Errorf("metric record %s = %v, want %v", name, m[name], want)
		}
	}
	aws := m["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if diff := cmp.Diff(aws["Dimensions"], []any{[]any{"FunctionName"}}); diff != "" {
		t.Errorf("dimensions mismatch (-got +want):\n%s", diff)
	}

	var final map[string]any
	for _, l := range hs.logs.lines(t) {
		if l["msg"] == "reload started" {
			final = l
		}
	}
	if final == nil || final["appId"] != testAppID || final["reloadId"] != r.ID || final["status"] != "RELOADING" || final["created"] != true {
		t.Errorf("final log record = %v, want appId, reloadId, status and created", final)
	}
}

func TestActiveReloadCreatesNone(t *testing.T) {
	for _, status := range []qlik.Status{qlik.StatusQueued, qlik.StatusReloading, "CREATED"} {
		t.Run(string(status), func(t *testing.T) {
			hs := newHarness(t, harnessOptions{})
			hs.tenant.AddReload(testAppID, qlik.StatusSucceeded, time.Hour)
			id := hs.tenant.AddReload(testAppID, status, time.Minute)
			res, err := hs.invoke(t, event(testAppID))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if res.ReloadID != id || res.Created || res.Status != status {
				t.Errorf("result = %+v, want the active reload %s, created false", res, id)
			}
			if got := hs.tenant.Count(qliktest.RouteCreateReload); got != 0 {
				t.Errorf("POSTs = %d, want 0", got)
			}
			m := hs.metrics.lines(t)[0]
			if m["ReloadsAlreadyActive"] != 1.0 || m["ReloadsStarted"] != 0.0 {
				t.Errorf("metrics = %v, want one already active", m)
			}
			if !status.Known() && !strings.Contains(hs.logs.String(), "does not document") {
				t.Errorf("unknown status %s not logged", status)
			}
		})
	}
}

func TestActiveReloadsThatAreNotTheRunAskedForDoNotBlock(t *testing.T) {
	tests := []struct {
		name        string
		add         func(hs *harness) string
		payload     string
		wantCreated bool
	}{
		{
			name:        "a reload being canceled",
			add:         func(hs *harness) string { return hs.tenant.AddReload(testAppID, qlik.StatusCanceling, time.Minute) },
			payload:     event(testAppID),
			wantCreated: true,
		},
		{
			name: "a partial reload for a full-reload row",
			add: func(hs *harness) string {
				return hs.tenant.AddPartialReload(testAppID, qlik.StatusReloading, time.Minute)
			},
			payload:     event(testAppID),
			wantCreated: true,
		},
		{
			name:        "a full reload for a partial-reload row",
			add:         func(hs *harness) string { return hs.tenant.AddReload(testAppID, qlik.StatusReloading, time.Minute) },
			payload:     `{"appId":"` + testAppID + `","partial":true}`,
			wantCreated: true,
		},
		{
			name: "a partial reload for a partial-reload row",
			add: func(hs *harness) string {
				return hs.tenant.AddPartialReload(testAppID, qlik.StatusReloading, time.Minute)
			},
			payload:     `{"appId":"` + testAppID + `","partial":true}`,
			wantCreated: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{})
			existing := tt.add(hs)
			res, err := hs.invoke(t, tt.payload)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if res.Created != tt.wantCreated {
				t.Errorf("result = %+v, want created %v", res, tt.wantCreated)
			}
			wantPOSTs := 0
			if tt.wantCreated {
				wantPOSTs = 1
				if r := hs.onlyReload(t); res.ReloadID != r.ID {
					t.Errorf("result reload id = %s, want the new reload %s", res.ReloadID, r.ID)
				}
			} else if res.ReloadID != existing {
				t.Errorf("result reload id = %s, want the active reload %s", res.ReloadID, existing)
			}
			if got := hs.tenant.Count(qliktest.RouteCreateReload); got != wantPOSTs {
				t.Errorf("POSTs = %d, want %d", got, wantPOSTs)
			}
		})
	}
}

func TestFinishedReloadsDoNotBlock(t *testing.T) {
	for _, status := range []qlik.Status{qlik.StatusSucceeded, qlik.StatusFailed, qlik.StatusCanceled, qlik.StatusExceededLimit} {
		t.Run(string(status), func(t *testing.T) {
			hs := newHarness(t, harnessOptions{})
			hs.tenant.AddReload(testAppID, status, time.Minute)
			res, err := hs.invoke(t, event(testAppID))
			if err != nil || !res.Created {
				t.Fatalf("Invoke = %+v, %v; want a created reload", res, err)
			}
			hs.onlyReload(t)
		})
	}
}

func TestCreateOutcomes(t *testing.T) {
	tests := []struct {
		name string
		// setup scripts the tenant. It may return a function that gives
		// the reload id the result must carry; nil means the one reload
		// the tenant created.
		setup          func(hs *harness) (wantID func() string)
		requestTimeout time.Duration
		http2          bool
		wantCreated    bool // Result.Created
		wantCreations  int  // reloads the tenant created
		wantPOSTs      int
		wantSlept      time.Duration
	}{
		{
			name: "rate limit with Retry-After then 201 creates exactly one reload",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(2*time.Second))
				return nil
			},
			wantCreated: true, wantCreations: 1, wantPOSTs: 2, wantSlept: 2 * time.Second,
		},
		{
			name: "two rate limits then 201",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(time.Second), qliktest.RateLimited(3*time.Second))
				return nil
			},
			wantCreated: true, wantCreations: 1, wantPOSTs: 3, wantSlept: 4 * time.Second,
		},
		{
			name: "pending-reload 429 with the waiting reload visible creates none",
			setup: func(hs *harness) func() string {
				var id string
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.PendingReload().WithSideEffect(func() {
					id = hs.tenant.AddReload(testAppID, qlik.StatusQueued, 0)
				}))
				return func() string { return id }
			},
			wantCreated: false, wantCreations: 0, wantPOSTs: 1,
		},
		{
			name: "pending-reload 429 with nothing visible still succeeds",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.PendingReload())
				return func() string { return "" }
			},
			wantCreated: false, wantCreations: 0, wantPOSTs: 1,
		},
		{
			name: "POST that times out after the tenant created the reload is not repeated",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Hang().AfterHandling())
				return nil
			},
			requestTimeout: 50 * time.Millisecond,
			wantCreated:    true, wantCreations: 1, wantPOSTs: 1,
		},
		{
			name: "POST answered 503 after the tenant created the reload is not repeated",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.ServerError(503).AfterHandling())
				return nil
			},
			wantCreated: true, wantCreations: 1, wantPOSTs: 1,
		},
		{
			name: "POST connection dropped after the tenant created the reload is not repeated",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Drop().AfterHandling())
				return nil
			},
			wantCreated: true, wantCreations: 1, wantPOSTs: 1,
		},
		{
			name: "POST answered 500 without creating is sent again once nothing is found",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.ServerError(500))
				return nil
			},
			wantCreated: true, wantCreations: 1, wantPOSTs: 2,
		},
		{
			name: "POST whose HTTP/2 stream is reset after the tenant created the reload is not repeated",
			setup: func(hs *harness) func() string {
				hs.front.ResetAfterHandling(http.MethodPost, "/api/v1/reloads")
				return nil
			},
			http2:       true,
			wantCreated: true, wantCreations: 1, wantPOSTs: 1,
		},
		{
			name: "a 429 that is not the pending-reload answer is a rate limit: sent again, one reload",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Status(429, "error-429-tenant.json"))
				return nil
			},
			wantCreated: true, wantCreations: 1, wantPOSTs: 2,
		},
		{
			name: "5xx then success on the GETs",
			setup: func(hs *harness) func() string {
				hs.tenant.Inject(qliktest.RouteGetApp, qliktest.ServerError(503), qliktest.ServerError(502))
				hs.tenant.Inject(qliktest.RouteListReloads, qliktest.ServerError(500))
				return nil
			},
			wantCreated: true, wantCreations: 1, wantPOSTs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{requestTimeout: tt.requestTimeout, http2: tt.http2})
			wantID := tt.setup(hs)
			res, err := hs.invoke(t, event(testAppID))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if res.Created != tt.wantCreated {
				t.Errorf("created = %v, want %v", res.Created, tt.wantCreated)
			}
			if got := hs.tenant.ReloadsCreated(); got != tt.wantCreations {
				t.Errorf("reloads created = %d, want %d", got, tt.wantCreations)
			}
			if got := hs.tenant.Count(qliktest.RouteCreateReload); got != tt.wantPOSTs {
				t.Errorf("POSTs = %d, want %d", got, tt.wantPOSTs)
			}
			if wantID == nil {
				r := hs.onlyReload(t)
				wantID = func() string { return r.ID }
			}
			if res.ReloadID != wantID() {
				t.Errorf("result reload id = %q, want %q", res.ReloadID, wantID())
			}
			if !tt.wantCreated && res.Detail == "" {
				t.Errorf("result = %+v, want a detail about the pending request", res)
			}
			var slept time.Duration
			for _, d := range hs.clk.Slept() {
				slept += d
			}
			if slept < tt.wantSlept {
				t.Errorf("slept %v, want at least %v", slept, tt.wantSlept)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name           string
		secret         string
		payload        string
		requestTimeout time.Duration
		setup          func(hs *harness)
		wantKind       reload.Kind
		wantText       []string
		wantCreations  int
		wantPOSTs      int
		wantReads      int // secret reads; 0 means do not check
	}{
		{
			name:     "unknown app",
			payload:  event("44444444-4444-4444-8444-444444444444"),
			wantKind: reload.KindAppNotFound,
			wantText: []string{"reload of app 44444444-4444-4444-8444-444444444444 not started", "404", "check the appId"},
		},
		{
			name:     "app without the reload privilege",
			payload:  event(readOnlyApp),
			wantKind: reload.KindAppNotReloadable,
			wantText: []string{`may see app "Board pack" but not reload it`, "[read exportappdata]"},
		},
		{
			name:    "app forbidden",
			payload: event(testAppID),
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteGetApp, qliktest.Status(403, "error-403-app.json"))
			},
			wantKind: reload.KindAppNotReloadable,
			wantText: []string{"403", "share the app"},
		},
		{
			name:    "reload forbidden",
			payload: event(testAppID),
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Status(403, "error-403-reload.json"))
			},
			wantKind:  reload.KindAppNotReloadable,
			wantText:  []string{"RELOADS-003"},
			wantPOSTs: 1,
		},
		{
			name:    "reload frequency quota",
			payload: event(testAppID),
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Status(403, "error-403-quota.json"))
			},
			wantKind:  reload.KindReloadRejected,
			wantText:  []string{"quota", "RELOADS-013"},
			wantPOSTs: 1,
		},
		{
			name:    "bad request",
			payload: event(testAppID),
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Status(400, "error-400.json"))
			},
			wantKind:  reload.KindReloadRejected,
			wantText:  []string{"invalid", "schedule's input"},
			wantPOSTs: 1,
		},
		{
			name:    "rate limit not lifted before the deadline",
			payload: event(testAppID),
			setup: func(hs *harness) {
				hs.tenant.SetFault(qliktest.RouteCreateReload, qliktest.RateLimited(30*time.Second))
			},
			wantKind:  reload.KindRateLimited,
			wantText:  []string{"rate limit was not lifted before the function's deadline", "HTTP-429", "Lambda retries", "nothing was created"},
			wantPOSTs: 2,
		},
		{
			name:    "a 429 that is not the pending-reload answer, every time",
			payload: event(testAppID),
			setup: func(hs *harness) {
				hs.tenant.SetFault(qliktest.RouteCreateReload, qliktest.Status(429, "error-429-tenant.json"))
			},
			wantKind:  reload.KindRateLimited,
			wantText:  []string{"HTTP-429-TENANT", "nothing was created"},
			wantPOSTs: qlik.DefaultRetryMax + 1,
		},
		{
			name:    "POST failing every time",
			payload: event(testAppID),
			setup: func(hs *harness) {
				hs.tenant.SetFault(qliktest.RouteCreateReload, qliktest.ServerError(500))
			},
			wantKind:  reload.KindTenantUnavailable,
			wantText:  []string{"500", "Lambda retries"},
			wantPOSTs: 3,
		},
		{
			name:           "unknown POST outcome that cannot be settled",
			payload:        event(testAppID),
			requestTimeout: 50 * time.Millisecond,
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Hang().AfterHandling().WithSideEffect(func() {
					hs.tenant.SetFault(qliktest.RouteListReloads, qliktest.ServerError(500))
				}))
			},
			wantKind:      reload.KindOutcomeUnknown,
			wantText:      []string{"may or may not have been created", "creates no second reload while this one is active"},
			wantCreations: 1,
			wantPOSTs:     1,
		},
		{
			name:     "tenant unreachable",
			payload:  event(testAppID),
			setup:    func(hs *harness) { hs.tenant.Close() },
			wantKind: reload.KindTenantUnavailable,
			wantText: []string{"no usable answer from the tenant", "QLIK_TENANT_URL"},
		},
		{
			name:     "placeholder secret",
			secret:   credential.Placeholder,
			payload:  event(testAppID),
			wantKind: reload.KindCredentialUnavailable,
			wantText: []string{"still holds the placeholder", "aws secretsmanager put-secret-value --secret-id '" + secretID + "'", "PutCredentialCommand"},
		},
		{
			name:      "expired API key",
			secret:    "eyJhbGciOiJFUzM4NCJ9.expired.c2ln",
			payload:   event(testAppID),
			wantKind:  reload.KindCredentialRejected,
			wantText:  []string{"rejected the API key", "401", "24 hours", "max_api_key_expiry", "aws secretsmanager put-secret-value --secret-id '" + secretID + "' --secret-string '<api-key>'", "OAuth machine-to-machine client", `"clientId"`},
			wantReads: 2,
		},
		{
			name:     "OAuth client rejected",
			secret:   `{"clientId":"` + clientID + `","clientSecret":"wrong-secret"}`,
			payload:  event(testAppID),
			wantKind: reload.KindCredentialRejected,
			wantText: []string{"refused an access token", clientID, "machine-to-machine", "put-secret-value"},
		},
		{
			name:     "unknown event field",
			payload:  `{"appId":"` + testAppID + `","appid":"x"}`,
			wantKind: reload.KindInvalidEvent,
			wantText: []string{`"appid": unknown field; did you mean "appId"?`, "fix the schedule's input"},
		},
		{
			name:     "bad GUID",
			payload:  `{"appId":"116dbfae"}`,
			wantKind: reload.KindInvalidEvent,
			wantText: []string{"appId: must be a GUID"},
		},
		{
			name:     "weight 0",
			payload:  `{"appId":"` + testAppID + `","weight":0}`,
			wantKind: reload.KindInvalidEvent,
			wantText: []string{"weight: must be a whole number from 1 to 10, got 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{secret: tt.secret, requestTimeout: tt.requestTimeout})
			if tt.setup != nil {
				tt.setup(hs)
			}
			res, err := hs.invoke(t, tt.payload)
			var e *reload.Error
			if !errors.As(err, &e) {
				t.Fatalf("Invoke = %+v, %v; want a *reload.Error", res, err)
			}
			if e.Kind != tt.wantKind {
				t.Errorf("kind = %s, want %s (%v)", e.Kind, tt.wantKind, err)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
			if diff := cmp.Diff(res, reload.Result{}); diff != "" {
				t.Errorf("result on error is not empty:\n%s", diff)
			}
			if got := hs.tenant.ReloadsCreated(); got != tt.wantCreations {
				t.Errorf("reloads created = %d, want %d", got, tt.wantCreations)
			}
			if got := hs.tenant.Count(qliktest.RouteCreateReload); got != tt.wantPOSTs {
				t.Errorf("POSTs = %d, want %d", got, tt.wantPOSTs)
			}
			if got := hs.secrets.count(); tt.wantReads != 0 && got != tt.wantReads {
				t.Errorf("secret reads = %d, want %d", got, tt.wantReads)
			}
			m := hs.metrics.lines(t)
			if len(m) != 1 || m[0]["TriggerFailures"] != 1.0 || m[0]["errorType"] != string(tt.wantKind) {
				t.Errorf("metric records = %v, want one failure of type %s", m, tt.wantKind)
			}
			if !strings.Contains(hs.logs.String(), `"msg":"reload not started"`) {
				t.Errorf("no log record of the failure")
			}
		})
	}
}

func TestHangingTenantAnswersBeforeTheDeadline(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	hs.tenant.SetFault(qliktest.RouteGetApp, qliktest.Hang())
	hs.tenant.SetFault(qliktest.RouteListReloads, qliktest.Hang())
	// Lambda's deadline: the handler must answer before it, however long
	// the tenant takes.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := hs.invokeCtx(ctx, event(testAppID))
	if ctx.Err() != nil {
		t.Fatalf("the handler returned after the invocation's deadline (%v)", err)
	}
	var e *reload.Error
	if !errors.As(err, &e) || e.Kind != reload.KindTenantUnavailable {
		t.Fatalf("error = %v, want a TenantUnavailable *reload.Error", err)
	}
	if got := hs.tenant.Count(qliktest.RouteCreateReload); got != 0 {
		t.Errorf("POSTs = %d, want 0", got)
	}
}

func TestPollingFailuresAfterThe201StillSucceed(t *testing.T) {
	tests := []struct {
		name  string
		fault qliktest.Fault
	}{
		{"server error", qliktest.ServerError(500)},
		{"rate limited", qliktest.RateLimited(time.Second)},
		{"not found", qliktest.Status(404, "error-404-reload.json")},
		{"hanging", qliktest.Hang()},
		{"dropped", qliktest.Drop()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{requestTimeout: 50 * time.Millisecond})
			hs.tenant.SetFault(qliktest.RouteGetReload, tt.fault)
			res, err := hs.invoke(t, event(testAppID))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			r := hs.onlyReload(t)
			if res.ReloadID != r.ID || !res.Created || res.Status != qlik.StatusQueued {
				t.Errorf("result = %+v, want the created reload, QUEUED as the 201 said", res)
			}
			// One wait before the first poll, and none after it: the first
			// failure ends the wait. (The server may count more requests:
			// Go's transport itself retries a GET whose reused connection
			// was closed.)
			if got := len(hs.clk.Slept()); got != 1 {
				t.Errorf("waits = %d, want 1 (the first failure ends the wait)", got)
			}
			if !strings.Contains(hs.logs.String(), "polling the new reload failed") {
				t.Error("the polling failure is not logged")
			}
		})
	}
}

func TestStatusesSeenWhileWaiting(t *testing.T) {
	tests := []struct {
		status     qlik.Status
		wantFailed float64
		wantLog    string
	}{
		{qlik.StatusReloading, 0, ""},
		{qlik.StatusSucceeded, 0, ""},
		{qlik.StatusCanceling, 0, ""},
		{qlik.StatusCanceled, 0, "the new reload was canceled"},
		{qlik.StatusFailed, 1, "the new reload already ended without success"},
		{qlik.StatusExceededLimit, 1, "the new reload already ended without success"},
		{"PAUSED", 0, "does not document"},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			hs := newHarness(t, harnessOptions{})
			hs.tenant.SetTimeline(qliktest.Phase{Status: qlik.StatusQueued, For: 300 * time.Millisecond}, qliktest.Phase{Status: tt.status})
			res, err := hs.invoke(t, event(testAppID))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if res.Status != tt.status || !res.Created {
				t.Errorf("result = %+v, want created with status %s", res, tt.status)
			}
			var waited time.Duration
			for _, d := range hs.clk.Slept() {
				waited += d
			}
			if waited > 800*time.Millisecond {
				t.Errorf("waited %v; the wait must end within half a second of the reload leaving QUEUED", waited)
			}
			if m := hs.metrics.lines(t)[0]; m["ReloadsFailed"] != tt.wantFailed || m["ReloadsStarted"] != 1.0 {
				t.Errorf("metrics = %v, want ReloadsFailed %v", m, tt.wantFailed)
			}
			if tt.wantLog != "" && !strings.Contains(hs.logs.String(), tt.wantLog) {
				t.Errorf("logs do not contain %q", tt.wantLog)
			}
		})
	}
}

func TestWaitIsBounded(t *testing.T) {
	tests := []struct {
		name      string
		wait      time.Duration
		wantPolls int // at most
	}{
		{"default five seconds", reload.DefaultWaitTimeout, 10},
		{"disabled", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{waitTimeout: tt.wait})
			hs.tenant.SetTimeline(qliktest.Phase{Status: qlik.StatusQueued})
			res, err := hs.invoke(t, event(testAppID))
			if err != nil || res.Status != qlik.StatusQueued || !res.Created {
				t.Fatalf("Invoke = %+v, %v; want a created reload still QUEUED", res, err)
			}
			var waited time.Duration
			for _, d := range hs.clk.Slept() {
				waited += d
			}
			if limit := max(tt.wait, 0); waited > limit {
				t.Errorf("waited %v, want at most %v", waited, limit)
			}
			if polls := hs.tenant.Count(qliktest.RouteGetReload); polls > tt.wantPolls {
				t.Errorf("polls = %d, want at most %d", polls, tt.wantPolls)
			}
		})
	}
}

func TestSecretIsReadOnceAcrossWarmInvocations(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	for _, app := range []string{testAppID, otherAppID} {
		if _, err := hs.invoke(t, event(app)); err != nil {
			t.Fatalf("Invoke(%s): %v", app, err)
		}
		hs.clk.Advance(time.Minute)
	}
	if got := hs.secrets.count(); got != 1 {
		t.Errorf("secret reads = %d, want 1", got)
	}
	if got := hs.tenant.ReloadsCreated(); got != 2 {
		t.Errorf("reloads created = %d, want 2", got)
	}
}

func TestZeroSecretTTLReadsTheSecretOncePerInvocation(t *testing.T) {
	hs := newHarness(t, harnessOptions{secretTTL: -1})
	for _, app := range []string{testAppID, otherAppID} {
		if _, err := hs.invoke(t, event(app)); err != nil {
			t.Fatalf("Invoke(%s): %v", app, err)
		}
	}
	// Each invocation sends about five requests; QLIK_SECRET_TTL=0 reads
	// the secret for the first of them only.
	if got := hs.secrets.count(); got != 2 {
		t.Errorf("secret reads over two invocations = %d, want 2", got)
	}
}

func TestRotatedKeyIsPickedUpAfterA401(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	if _, err := hs.invoke(t, event(testAppID)); err != nil {
		t.Fatal(err)
	}
	// The old key expires and the operator puts a new one, within the
	// secret's TTL: the 401 makes the function read the secret again.
	hs.tenant.RevokeAPIKey(apiKey)
	hs.tenant.AddAPIKey(newAPIKey)
	hs.secrets.set(newAPIKey)
	res, err := hs.invoke(t, event(otherAppID))
	if err != nil || !res.Created {
		t.Fatalf("Invoke after rotation = %+v, %v; want a created reload", res, err)
	}
	if got := hs.secrets.count(); got != 2 {
		t.Errorf("secret reads = %d, want 2", got)
	}
}

func TestOAuthTokenIsFetchedOnceAcrossInvocations(t *testing.T) {
	hs := newHarness(t, harnessOptions{secret: `{"clientId":"` + clientID + `","clientSecret":"` + clientSecret + `"}`})
	for i := range 4 {
		app := []string{testAppID, otherAppID}[i%2]
		if _, err := hs.invoke(t, event(app)); err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		hs.clk.Advance(time.Hour)
	}
	if got := hs.tenant.TokenRequests(); got != 1 {
		t.Errorf("token requests over four hours = %d, want 1", got)
	}
	// Qlik's tokens live six hours: shortly before that, a new one.
	hs.clk.Advance(2*time.Hour - 4*time.Minute)
	if _, err := hs.invoke(t, event(testAppID)); err != nil {
		t.Fatal(err)
	}
	if got := hs.tenant.TokenRequests(); got != 2 {
		t.Errorf("token requests near expiry = %d, want 2", got)
	}
	if got := hs.tenant.ReloadsCreated(); got != 5 {
		t.Errorf("reloads created = %d, want 5", got)
	}
}

func TestHandleValidatesEvents(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	_, err := hs.h.Handle(context.Background(), reload.Event{AppID: testAppID, Weight: 11})
	var e *reload.Error
	if !errors.As(err, &e) || e.Kind != reload.KindInvalidEvent {
		t.Fatalf("Handle error = %v, want InvalidEvent", err)
	}
	res, err := hs.h.Handle(context.Background(), reload.Event{AppID: testAppID})
	if err != nil || !res.Created {
		t.Fatalf("Handle = %+v, %v; want a created reload", res, err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := reload.New(reload.Config{}); err == nil {
		t.Error("New accepted a config without a client")
	}
}

func TestPOSTDeadlines(t *testing.T) {
	tests := []struct {
		name           string
		requestTimeout time.Duration
		left           time.Duration // before the invocation's deadline, on the fake clock
		setup          func(hs *harness)
		wantKind       reload.Kind // empty: success
		wantText       string
		wantPOSTs      int
		wantCreations  int
	}{
		{
			// 3 s of Retry-After plus a 2 s attempt would end past the
			// time kept for a look-up (7 s, less the margin and 2 s).
			name:           "a rate-limited POST is not sent again when the attempt would not leave time for a look-up",
			requestTimeout: 2 * time.Second,
			left:           7 * time.Second,
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(3*time.Second))
			},
			wantKind:  reload.KindRateLimited,
			wantText:  "nothing was created",
			wantPOSTs: 1,
		},
		{
			name:           "a rate-limited POST is sent again when the attempt and a look-up fit",
			requestTimeout: 2 * time.Second,
			left:           10 * time.Second,
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(3*time.Second))
			},
			wantPOSTs:     2,
			wantCreations: 1,
		},
		{
			// The POST would hang past the deadline, and the look-up
			// after it would run on an expired context: it is not sent.
			name:           "a POST whose attempt cannot end before the deadline is not sent",
			requestTimeout: time.Second,
			left:           400 * time.Millisecond,
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Hang().AfterHandling())
			},
			wantKind:  reload.KindTenantUnavailable,
			wantText:  "too little time was left",
			wantPOSTs: 0,
		},
		{
			// A 201 is Qlik saying Created, even when its body is cut off
			// and the list does not show the reload yet.
			name: "a 201 whose body cannot be read counts as created and is not repeated",
			setup: func(hs *harness) {
				hs.tenant.Inject(qliktest.RouteCreateReload, qliktest.Status(201, "created-unreadable.json"))
			},
			wantPOSTs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, harnessOptions{requestTimeout: tt.requestTimeout})
			tt.setup(hs)
			left := tt.left
			if left == 0 {
				left = time.Minute
			}
			ctx, cancel := context.WithDeadline(context.Background(), hs.clk.Now().Add(left))
			defer cancel()
			res, err := hs.invokeCtx(ctx, event(testAppID))
			if tt.wantKind == "" {
				if err != nil || !res.Created {
					t.Fatalf("Invoke = %+v, %v; want a created reload", res, err)
				}
			} else {
				var e *reload.Error
				if !errors.As(err, &e) || e.Kind != tt.wantKind || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("Invoke error = %v, want a %s error that says %q", err, tt.wantKind, tt.wantText)
				}
			}
			if got := hs.tenant.Count(qliktest.RouteCreateReload); got != tt.wantPOSTs {
				t.Errorf("POSTs = %d, want %d", got, tt.wantPOSTs)
			}
			if got := hs.tenant.ReloadsCreated(); got != tt.wantCreations {
				t.Errorf("reloads created = %d, want %d", got, tt.wantCreations)
			}
		})
	}
}

// failingTokens hands out the API key ok times, then fails with err.
type failingTokens struct {
	mu  sync.Mutex
	ok  int
	err error
}

func (f *failingTokens) Token(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ok > 0 {
		f.ok--
		return apiKey, nil
	}
	return "", f.err
}

type fixedCredentials struct{}

func (fixedCredentials) SecretID() string      { return secretID }
func (fixedCredentials) Kind() credential.Kind { return credential.KindOAuthClient }

func TestTokenFailureBeforeThePOSTIsNotAnUnknownOutcome(t *testing.T) {
	hs := newHarness(t, harnessOptions{})
	// The token for the POST cannot be had: the exchange timed out. The
	// app and list checks got theirs.
	tokens := &failingTokens{ok: 2, err: fmt.Errorf("get an OAuth access token for client %q: %w", clientID,
		&qlik.RequestError{Method: "POST", Path: "/oauth/token", Sent: true, Err: context.DeadlineExceeded})}
	client, err := qlik.NewClient(hs.tenant.URL, qlik.WithTokenSource(tokens), qlik.WithClock(hs.clk))
	if err != nil {
		t.Fatal(err)
	}
	h, err := reload.New(reload.Config{Client: client, Credentials: fixedCredentials{}, Clock: hs.clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), hs.clk.Now().Add(time.Minute))
	defer cancel()
	_, err = h.Invoke(ctx, []byte(event(testAppID)))
	var e *reload.Error
	if !errors.As(err, &e) || e.Kind != reload.KindTenantUnavailable || !strings.Contains(err.Error(), "not sent") {
		t.Fatalf("Invoke error = %v, want a TenantUnavailable error saying the POST was not sent", err)
	}
	if got := hs.tenant.Count(qliktest.RouteCreateReload); got != 0 {
		t.Errorf("POSTs = %d, want 0", got)
	}
	if got := hs.tenant.Count(qliktest.RouteListReloads); got != 1 {
		t.Errorf("reload lists = %d, want 1 (no look-up for a POST that was never sent)", got)
	}
}
