package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/secretsmanagertest"
)

const (
	e2eKey          = "eyJhbGciOiJFUzM4NCJ9.bootstrap-test-key.c2ln"
	e2eClientID     = "bootstrap-test-client"
	e2eClientSecret = "bootstrap-test-client-secret"
	e2eSecretName   = "qlik-reload-triggers/test"
	e2eApp          = "116dbfae-7fb9-4983-8e23-5ccd8c508722"
	e2eOtherApp     = "22222222-2222-4222-8222-222222222222"
)

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

// TestBootstrap runs the built function through the Runtime API against a
// fake tenant and a fake Secrets Manager reached through the SDK's own
// endpoint variable.
func TestBootstrap(t *testing.T) {
	bin := buildBootstrap(t)
	tenant := qliktest.New(t)
	tenant.AddAPIKey(e2eKey)
	tenant.AddApp(e2eApp, "Sales", qliktest.ReloaderPrivileges...)
	tenant.AddApp(e2eOtherApp, "Finance", qliktest.ReloaderPrivileges...)
	tenant.SetTimeline(qliktest.Phase{Status: qlik.StatusQueued, For: 100 * time.Millisecond}, qliktest.Phase{Status: qlik.StatusReloading})
	secrets := secretsmanagertest.New(t)
	secrets.Put(e2eSecretName, `{"key": "`+e2eKey+`"}`)
	api := newRuntimeAPI(t)

	p := startProcess(t, bin, functionEnv(api, tenant.URL, secrets.URL, secretsmanagertest.ARN(e2eSecretName)))
	api.waitFirstNext(t, 10*time.Second)
	// Initialization makes no network call: the secret is read, and the
	// tenant called, only when an invocation needs them.
	if secrets.Reads() != 0 || tenant.Count(qliktest.RouteGetApp)+tenant.Count(qliktest.RouteListReloads) != 0 {
		t.Errorf("calls during init: %d secret reads, %d tenant requests; want none",
			secrets.Reads(), tenant.Count(qliktest.RouteGetApp)+tenant.Count(qliktest.RouteListReloads))
	}

	type result struct {
		AppID    string `json:"appId"`
		ReloadID string `json:"reloadId"`
		Status   string `json:"status"`
		Created  bool   `json:"created"`
	}
	steps := []struct {
		name        string
		payload     string
		wantKind    string
		wantCreated bool
		wantStatus  string
		wantError   string
		wantErrText []string
	}{
		{name: "creates a reload", payload: `{"appId":"` + e2eApp + `","weight":5}`, wantKind: "response", wantCreated: true, wantStatus: "RELOADING"},
		{name: "finds the active reload", payload: `{"appId":"` + e2eApp + `"}`, wantKind: "response", wantCreated: false, wantStatus: "RELOADING"},
		{name: "bad event is a function error", payload: `{"appId":"` + e2eOtherApp + `","wieght":5}`, wantKind: "error", wantError: "InvalidEvent", wantErrText: []string{`"wieght": unknown field`}},
		{name: "unknown app is a function error", payload: `{"appId":"33333333-3333-4333-8333-333333333333"}`, wantKind: "error", wantError: "AppNotFound", wantErrText: []string{"404", "check the appId"}},
		{name: "second app", payload: `{"appId":"` + e2eOtherApp + `"}`, wantKind: "response", wantCreated: true, wantStatus: "RELOADING"},
	}
	var requestIDs []string
	for _, st := range steps {
		a, inv := api.invoke(t, st.payload, 30*time.Second)
		requestIDs = append(requestIDs, inv.id)
		if a.kind != st.wantKind {
			t.Fatalf("%s: answer %s %s, want a %s", st.name, a.kind, a.body, st.wantKind)
		}
		if a.kind == "error" {
			var e struct {
				Message string `json:"errorMessage"`
				Type    string `json:"errorType"`
			}
			if err := json.Unmarshal(a.body, &e); err != nil {
				t.Fatalf("%s: error body %s: %v", st.name, a.body, err)
			}
			if e.Type != st.wantError || a.errorType != st.wantError {
				t.Errorf("%s: error type %q (header %q), want %q", st.name, e.Type, a.errorType, st.wantError)
			}
			for _, want := range st.wantErrText {
				if !strings.Contains(e.Message, want) {
					t.Errorf("%s: error message %q does not contain %q", st.name, e.Message, want)
				}
			}
			continue
		}
		var r result
		if err := json.Unmarshal(a.body, &r); err != nil {
			t.Fatalf("%s: response %s: %v", st.name, a.body, err)
		}
		if r.Created != st.wantCreated || r.Status != st.wantStatus || !hex24.MatchString(r.ReloadID) {
			t.Errorf("%s: result %s, want created %v, status %s and a reload id", st.name, a.body, st.wantCreated, st.wantStatus)
		}
	}
	if got := tenant.ReloadsCreated(); got != 2 {
		t.Errorf("reloads created = %d, want 2", got)
	}
	if got := secrets.Reads(); got != 1 {
		t.Errorf("secret reads across warm invocations = %d, want 1", got)
	}
	p.stop()

	// Every line is JSON: the logs on stdout, the metric records among
	// them, and aws-lambda-go's report of each function error on stderr.
	stdout := jsonLines(t, "stdout", p.stdout.String())
	jsonLines(t, "stderr", p.stderr.String())
	var metrics, logs int
	seenIDs := map[string]bool{}
	for _, l := range stdout {
		if _, ok := l["_aws"]; ok {
			metrics++
			continue
		}
		logs++
		if id, ok := l["requestId"].(string); ok {
			seenIDs[id] = true
		}
		if l["message"] == "reload started" && (l["appId"] == nil || l["reloadId"] == nil || l["status"] == nil) {
			t.Errorf("log record %v lacks appId, reloadId or status", l)
		}
	}
	if metrics != len(steps) {
		t.Errorf("metric records = %d, want one per invocation (%d)", metrics, len(steps))
	}
	for _, id := range requestIDs {
		if !seenIDs[id] {
			t.Errorf("no log record carries request id %s", id)
		}
	}
	for _, out := range []string{p.stdout.String(), p.stderr.String()} {
		if strings.Contains(out, e2eKey) {
			t.Error("the API key appears in the function's output")
		}
	}
}

// TestBootstrapOAuthClientAndDeadline runs the function with an OAuth
// client in the secret, and with a tenant that stops answering.
func TestBootstrapOAuthClientAndDeadline(t *testing.T) {
	bin := buildBootstrap(t)
	tenant := qliktest.New(t)
	tenant.AddOAuthClient(e2eClientID, e2eClientSecret)
	tenant.AddApp(e2eApp, "Sales", qliktest.ReloaderPrivileges...)
	tenant.AddApp(e2eOtherApp, "Finance", qliktest.ReloaderPrivileges...)
	secrets := secretsmanagertest.New(t)
	secrets.Put(e2eSecretName, `{"clientId":"`+e2eClientID+`","clientSecret":"`+e2eClientSecret+`"}`)
	api := newRuntimeAPI(t)
	env := functionEnv(api, tenant.URL, secrets.URL, e2eSecretName)
	env["QLIK_WAIT_TIMEOUT"] = "0"
	p := startProcess(t, bin, env)
	api.waitFirstNext(t, 10*time.Second)

	for _, app := range []string{e2eApp, e2eOtherApp} {
		if a, _ := api.invoke(t, `{"appId":"`+app+`"}`, 30*time.Second); a.kind != "response" {
			t.Fatalf("invocation for %s: %s %s", app, a.kind, a.body)
		}
	}
	if got := tenant.TokenRequests(); got != 1 {
		t.Errorf("token requests over two invocations = %d, want 1", got)
	}

	// A tenant that hangs: the function answers with an error before
	// Lambda's deadline, not after it.
	tenant.SetFault(qliktest.RouteGetApp, qliktest.Hang())
	tenant.SetFault(qliktest.RouteListReloads, qliktest.Hang())
	a, inv := api.invoke(t, `{"appId":"`+e2eApp+`"}`, 3*time.Second)
	if a.kind != "error" || a.errorType != "TenantUnavailable" {
		t.Errorf("hanging tenant: answer %s %s %s, want a TenantUnavailable error", a.kind, a.errorType, a.body)
	}
	if !a.at.Before(inv.deadline) {
		t.Errorf("the error came %v after the deadline", a.at.Sub(inv.deadline))
	}
	p.stop()
	out := p.stdout.String() + p.stderr.String()
	for _, s := range []string{e2eClientSecret, "fake-access-token"} {
		if strings.Contains(out, s) {
			t.Errorf("%q appears in the function's output", s)
		}
	}
}

// TestBootstrapReportsInitErrors checks that a bad configuration stops the
// function at start-up with one message naming every bad variable, posted
// to the Runtime API's init error path.
func TestBootstrapReportsInitErrors(t *testing.T) {
	bin := buildBootstrap(t)
	api := newRuntimeAPI(t)
	env := functionEnv(api, "http://qlik.example.com", "http://127.0.0.1:1", "")
	env["QLIK_WAIT_TIMEOUT"] = "5"
	p := startProcess(t, bin, env)
	if code := p.wait(t, 10*time.Second); code == 0 {
		t.Errorf("exit code 0, want a failure")
	}
	var ie initError
	select {
	case ie = <-api.initErrs:
	default:
		t.Fatal("nothing was posted to /runtime/init/error")
	}
	var e struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if err := json.Unmarshal(ie.body, &e); err != nil {
		t.Fatalf("init error body %s: %v", ie.body, err)
	}
	if e.Type != "ConfigError" || ie.errorType != "ConfigError" {
		t.Errorf("init error type %q (header %q), want ConfigError", e.Type, ie.errorType)
	}
	for _, want := range []string{"QLIK_TENANT_URL", "must use https", "QLIK_API_KEY_SECRET_ID is not set", `QLIK_WAIT_TIMEOUT="5"`} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("init error %q does not contain %q", e.Message, want)
		}
	}
	jsonLines(t, "stdout", p.stdout.String())
}

// TestBootstrapEmptySecret: the stack creates the secret with no value;
// the function answers CredentialUnavailable with the exact command that
// puts one, region included.
func TestBootstrapEmptySecret(t *testing.T) {
	bin := buildBootstrap(t)
	tenant := qliktest.New(t)
	secrets := secretsmanagertest.New(t)
	secrets.Create(e2eSecretName)
	arn := secretsmanagertest.ARN(e2eSecretName)
	api := newRuntimeAPI(t)
	startProcess(t, bin, functionEnv(api, tenant.URL, secrets.URL, arn))
	a, _ := api.invoke(t, `{"appId":"`+e2eApp+`"}`, 30*time.Second)
	if a.kind != "error" || a.errorType != "CredentialUnavailable" {
		t.Fatalf("answer %s %s %s, want a CredentialUnavailable error", a.kind, a.errorType, a.body)
	}
	var body struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatalf("answer %s: %v", a.body, err)
	}
	want := "aws secretsmanager put-secret-value --region " + secretsmanagertest.Region + " --secret-id '" + arn + "' --secret-string '<api-key>'"
	if !strings.Contains(body.ErrorMessage, "has no value yet") || !strings.Contains(body.ErrorMessage, want) {
		t.Errorf("error message %q does not say the secret is empty and give %q", body.ErrorMessage, want)
	}
}

// TestBootstrapPlaceholderSecret checks the operator's message when the
// stack's secret was never set.
func TestBootstrapPlaceholderSecret(t *testing.T) {
	bin := buildBootstrap(t)
	tenant := qliktest.New(t)
	secrets := secretsmanagertest.New(t)
	secrets.Put(e2eSecretName, credential.Placeholder)
	api := newRuntimeAPI(t)
	startProcess(t, bin, functionEnv(api, tenant.URL, secrets.URL, e2eSecretName))
	a, _ := api.invoke(t, `{"appId":"`+e2eApp+`"}`, 30*time.Second)
	if a.kind != "error" || a.errorType != "CredentialUnavailable" {
		t.Fatalf("answer %s %s %s, want a CredentialUnavailable error", a.kind, a.errorType, a.body)
	}
	for _, want := range []string{"aws secretsmanager put-secret-value --secret-id '" + e2eSecretName + "'", "PutCredentialCommand"} {
		if !strings.Contains(string(a.body), want) {
			t.Errorf("error %s does not contain %q", a.body, want)
		}
	}
}
