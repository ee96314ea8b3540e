package qlik_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
)

const (
	testKey = "eyJhbGciOiJFUzM4NCJ9.test-api-key.c2ln"
	appID   = "116dbfae-7fb9-4983-8e23-5ccd8c508722"
)

// staticToken is a TokenSource with a fixed token.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// rotatingToken hands out tokens in order, moving to the next one when the
// current one is invalidated.
type rotatingToken struct {
	mu          sync.Mutex
	tokens      []string
	invalidated []string
}

func (r *rotatingToken) Token(context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tokens[0], nil
}

func (r *rotatingToken) InvalidateToken(tok string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invalidated = append(r.invalidated, tok)
	if len(r.tokens) > 1 && r.tokens[0] == tok {
		r.tokens = r.tokens[1:]
	}
}

// setup starts a fake tenant with one reloadable app and returns a client
// for it that sleeps on a fake clock.
func setup(t *testing.T, opts ...qlik.Option) (*qliktest.Tenant, *qlik.Client, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Now())
	tenant := qliktest.New(t, qliktest.WithClock(clk.Now))
	tenant.AddAPIKey(testKey)
	tenant.AddApp(appID, "Sales", qliktest.ReloaderPrivileges...)
	all := append([]qlik.Option{qlik.WithTokenSource(staticToken(testKey)), qlik.WithClock(clk)}, opts...)
	c, err := qlik.NewClient(tenant.URL, all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return tenant, c, clk
}

func TestParseTenantURL(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        string
	}{
		{name: "https", in: "https://example.eu.qlikcloud.com", want: "https://example.eu.qlikcloud.com"},
		{name: "https trailing slash", in: "https://example.eu.qlikcloud.com/", want: "https://example.eu.qlikcloud.com"},
		{name: "https with port", in: "https://qlik.example.com:8443", want: "https://qlik.example.com:8443"},
		{name: "http localhost", in: "http://localhost:8080", want: "http://localhost:8080"},
		{name: "http 127.0.0.1", in: "http://127.0.0.1:1234", want: "http://127.0.0.1:1234"},
		{name: "http ::1", in: "http://[::1]:1234", want: "http://[::1]:1234"},
		{name: "http remote", in: "http://example.eu.qlikcloud.com", wantErr: "must use https"},
		{name: "http localhost lookalike", in: "http://localhost.example.com", wantErr: "must use https"},
		{name: "ftp", in: "ftp://example.com", wantErr: "must be https"},
		{name: "no scheme", in: "example.eu.qlikcloud.com", wantErr: "absolute URL"},
		{name: "empty", in: "", wantErr: "absolute URL"},
		{name: "path", in: "https://example.com/api", wantErr: "must not have a path"},
		{name: "query", in: "https://example.com?x=1", wantErr: "query"},
		{name: "user info", in: "https://user:pw@example.com", wantErr: "user information"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := qlik.ParseTenantURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTenantURL(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTenantURL(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(u.String(), tt.want); diff != "" {
				t.Errorf("ParseTenantURL(%q) mismatch (-got +want):\n%s", tt.in, diff)
			}
		})
	}
}

func TestNewClientRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  qlik.Option
	}{
		{"zero timeout", qlik.WithRequestTimeout(0)},
		{"negative retries", qlik.WithRetryMax(-1)},
		{"nil http client", qlik.WithHTTPClient(nil)},
		{"nil clock", qlik.WithClock(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := qlik.NewClient("https://example.com", tt.opt); err == nil {
				t.Fatal("NewClient succeeded, want an error")
			}
		})
	}
}

func TestGetApp(t *testing.T) {
	tenant, c, _ := setup(t)
	tenant.AddApp("00000000-0000-4000-8000-000000000001", "Read only", qliktest.ReaderPrivileges...)

	app, err := c.GetApp(context.Background(), appID)
	if err != nil {
		t.Fatalf("GetApp: %v", err)
	}
	if app.Attributes.ID != appID || app.Attributes.Name != "Sales" || !app.Can(qlik.PrivilegeReload) {
		t.Errorf("GetApp = %+v, want app %s named Sales with the reload privilege", app.Attributes, appID)
	}
	ro, err := c.GetApp(context.Background(), "00000000-0000-4000-8000-000000000001")
	if err != nil {
		t.Fatalf("GetApp: %v", err)
	}
	if ro.Can(qlik.PrivilegeReload) {
		t.Errorf("read-only app grants reload: %v", ro.Privileges)
	}

	_, err = c.GetApp(context.Background(), "00000000-0000-4000-8000-00000000dead")
	var ae *qlik.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		t.Fatalf("GetApp(unknown) error = %v, want a 404 *APIError", err)
	}
	if got, want := ae.Error(), "GET /api/v1/apps/00000000-0000-4000-8000-00000000dead: 404 Not Found: HTTP-404: Not Found: app not found"; got != want {
		t.Errorf("error text mismatch:\n got %s\nwant %s", got, want)
	}
}

func TestUnauthorized(t *testing.T) {
	tenant, _, clk := setup(t)
	c, err := qlik.NewClient(tenant.URL, qlik.WithTokenSource(staticToken("wrong")), qlik.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetApp(context.Background(), appID)
	var ae *qlik.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
		t.Fatalf("error = %v, want a 401 *APIError", err)
	}
	if got := tenant.Count(qliktest.RouteGetApp); got != 1 {
		t.Errorf("requests = %d, want 1 (a 401 is not retried without a TokenInvalidator)", got)
	}
}

func TestUnauthorizedReadsCredentialAgainOnce(t *testing.T) {
	tests := []struct {
		name         string
		tokens       []string
		wantErr      bool
		wantRequests int
	}{
		{name: "rotated key is picked up", tokens: []string{"old-key", testKey}, wantRequests: 2},
		{name: "still rejected after one new read", tokens: []string{"old-key", "older-key", testKey}, wantErr: true, wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, _, clk := setup(t)
			src := &rotatingToken{tokens: tt.tokens}
			c, err := qlik.NewClient(tenant.URL, qlik.WithTokenSource(src), qlik.WithClock(clk))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetApp(context.Background(), appID)
			if (err != nil) != tt.wantErr {
				t.Fatalf("GetApp error = %v, want error %v", err, tt.wantErr)
			}
			if got := tenant.Count(qliktest.RouteGetApp); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			if diff := cmp.Diff(src.invalidated, []string{"old-key"}); diff != "" {
				t.Errorf("invalidated tokens mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestListReloadsNewestFirst(t *testing.T) {
	tenant, c, _ := setup(t)
	old := tenant.AddReload(appID, qlik.StatusSucceeded, time.Hour)
	mid := tenant.AddReload(appID, qlik.StatusFailed, 30*time.Minute)
	tenant.AddReload("00000000-0000-4000-8000-000000000002", qlik.StatusQueued, time.Minute)
	created, err := c.CreateReload(context.Background(), qlik.ReloadRequest{AppID: appID})
	if err != nil {
		t.Fatalf("CreateReload: %v", err)
	}
	got, err := c.ListReloads(context.Background(), appID, 10)
	if err != nil {
		t.Fatalf("ListReloads: %v", err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff(ids, []string{created.ID, mid, old}); diff != "" {
		t.Errorf("reload ids mismatch (-got +want):\n%s", diff)
	}
	limited, err := c.ListReloads(context.Background(), appID, 1)
	if err != nil || len(limited) != 1 || limited[0].ID != created.ID {
		t.Errorf("ListReloads(limit 1) = %v, %v; want the newest reload only", limited, err)
	}
}

var reloadID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestCreateReload(t *testing.T) {
	tenant, c, clk := setup(t)
	req := qlik.ReloadRequest{AppID: appID, Partial: true, Variables: map[string]string{"vRegion": "EMEA"}, Weight: 7}
	r, err := c.CreateReload(context.Background(), req)
	if err != nil {
		t.Fatalf("CreateReload: %v", err)
	}
	if !reloadID.MatchString(r.ID) {
		t.Errorf("reload id %q is not 24 hex digits", r.ID)
	}
	if r.Status != qlik.StatusQueued || r.AppID != appID || r.Type != "external" || !r.Partial || r.Weight != 7 {
		t.Errorf("created reload = %+v", r)
	}
	if d := r.CreationTime.Sub(clk.Now()); d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("creation time %v is not the tenant's now %v", r.CreationTime, clk.Now())
	}
	if diff := cmp.Diff(tenant.CreateRequests(), []qlik.ReloadRequest{req}); diff != "" {
		t.Errorf("requests the tenant received mismatch (-got +want):\n%s", diff)
	}

	// The status follows the tenant's timeline.
	clk.Advance(1500 * time.Millisecond)
	got, err := c.GetReload(context.Background(), r.ID)
	if err != nil {
		t.Fatalf("GetReload: %v", err)
	}
	if got.Status != qlik.StatusReloading || got.StartTime.IsZero() {
		t.Errorf("after 1.5 s: status %s start %v, want RELOADING with a start time", got.Status, got.StartTime)
	}
	_, err = c.GetReload(context.Background(), "65f1c0de00000000000fffff")
	var ae *qlik.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound || ae.Code() != "RELOADS-004" {
		t.Errorf("GetReload(unknown) error = %v, want 404 RELOADS-004", err)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name        string
		route       string
		faults      []qliktest.Fault
		persistent  *qliktest.Fault
		call        func(context.Context, *qlik.Client) error
		wantErr     any // nil, or a pointer to the wanted error type
		wantUnknown bool
		wantCount   int
		wantCreated int
		wantSlept   time.Duration // at least
	}{
		{
			name:      "GET 503 then success",
			route:     qliktest.RouteGetApp,
			faults:    []qliktest.Fault{qliktest.ServerError(503)},
			call:      getApp,
			wantCount: 2,
		},
		{
			name:      "GET 500, 502, 504 then success",
			route:     qliktest.RouteListReloads,
			faults:    []qliktest.Fault{qliktest.ServerError(500), qliktest.ServerError(502), qliktest.ServerError(504)},
			call:      listReloads,
			wantCount: 4,
		},
		{
			name:        "GET 500 forever gives up after the retries",
			route:       qliktest.RouteGetApp,
			persistent:  ptr(qliktest.ServerError(500)),
			call:        getApp,
			wantErr:     new(*qlik.APIError),
			wantUnknown: true,
			wantCount:   qlik.DefaultRetryMax + 1,
		},
		{
			name:      "GET dropped connection then success",
			route:     qliktest.RouteGetReload,
			faults:    []qliktest.Fault{qliktest.Drop()},
			call:      getNewReload,
			wantCount: 2,
		},
		{
			name:        "GET 501 is not retried",
			route:       qliktest.RouteGetApp,
			faults:      []qliktest.Fault{qliktest.ServerError(501)},
			call:        getApp,
			wantErr:     new(*qlik.APIError),
			wantUnknown: true,
			wantCount:   1,
		},
		{
			name:        "POST rate limit then 201 creates one reload",
			route:       qliktest.RouteCreateReload,
			faults:      []qliktest.Fault{qliktest.RateLimited(2 * time.Second)},
			call:        createReload,
			wantCount:   2,
			wantCreated: 1,
			wantSlept:   2 * time.Second,
		},
		{
			name:      "POST pending reload is not retried",
			route:     qliktest.RouteCreateReload,
			faults:    []qliktest.Fault{qliktest.PendingReload()},
			call:      createReload,
			wantErr:   new(*qlik.PendingReloadError),
			wantCount: 1,
		},
		{
			name:        "POST 500 is not retried blindly",
			route:       qliktest.RouteCreateReload,
			faults:      []qliktest.Fault{qliktest.ServerError(500).AfterHandling()},
			call:        createReload,
			wantErr:     new(*qlik.APIError),
			wantUnknown: true,
			wantCount:   1,
			wantCreated: 1,
		},
		{
			name:        "POST dropped after sending is not retried",
			route:       qliktest.RouteCreateReload,
			faults:      []qliktest.Fault{qliktest.Drop().AfterHandling()},
			call:        createReload,
			wantErr:     new(*qlik.RequestError),
			wantUnknown: true,
			wantCount:   1,
			wantCreated: 1,
		},
		{
			name:        "POST 400 is not retried",
			route:       qliktest.RouteCreateReload,
			faults:      []qliktest.Fault{qliktest.Status(400, "error-400.json")},
			call:        createReload,
			wantErr:     new(*qlik.APIError),
			wantCount:   1,
			wantCreated: 0,
		},
		{
			name:      "token exchange 503 then success",
			route:     qliktest.RouteToken,
			faults:    []qliktest.Fault{qliktest.ServerError(503)},
			call:      exchangeToken,
			wantCount: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, c, clk := setup(t)
			tenant.AddOAuthClient("client-id", "client-secret-value")
			if tt.route == qliktest.RouteGetReload {
				tenant.AddReload(appID, qlik.StatusQueued, 0)
			}
			tenant.Inject(tt.route, tt.faults...)
			if tt.persistent != nil {
				tenant.SetFault(tt.route, *tt.persistent)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := tt.call(ctx, c)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("error = %v, want none", err)
			}
			if tt.wantErr != nil && !errors.As(err, tt.wantErr) {
				t.Fatalf("error = %v (%T), want %T", err, err, tt.wantErr)
			}
			if got := qlik.OutcomeUnknown(err); got != tt.wantUnknown {
				t.Errorf("OutcomeUnknown(%v) = %v, want %v", err, got, tt.wantUnknown)
			}
			if got := tenant.Count(tt.route); got != tt.wantCount {
				t.Errorf("requests to %s = %d, want %d", tt.route, got, tt.wantCount)
			}
			if got := tenant.ReloadsCreated(); got != tt.wantCreated {
				t.Errorf("reloads created = %d, want %d", got, tt.wantCreated)
			}
			var slept time.Duration
			for _, d := range clk.Slept() {
				slept += d
			}
			if slept < tt.wantSlept {
				t.Errorf("slept %v, want at least %v", slept, tt.wantSlept)
			}
		})
	}
}

func getApp(ctx context.Context, c *qlik.Client) error {
	_, err := c.GetApp(ctx, appID)
	return err
}

func listReloads(ctx context.Context, c *qlik.Client) error {
	_, err := c.ListReloads(ctx, appID, 10)
	return err
}

func getNewReload(ctx context.Context, c *qlik.Client) error {
	list, err := c.ListReloads(ctx, appID, 1)
	if err != nil {
		return err
	}
	_, err = c.GetReload(ctx, list[0].ID)
	return err
}

func createReload(ctx context.Context, c *qlik.Client) error {
	_, err := c.CreateReload(ctx, qlik.ReloadRequest{AppID: appID})
	return err
}

func exchangeToken(ctx context.Context, c *qlik.Client) error {
	_, err := c.ClientCredentialsToken(ctx, "client-id", "client-secret-value")
	return err
}

func ptr[T any](v T) *T { return &v }

func TestRateLimitThatDoesNotFitBeforeTheDeadline(t *testing.T) {
	tenant, c, clk := setup(t)
	tenant.Inject(qliktest.RouteCreateReload, qliktest.RateLimited(30*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.CreateReload(ctx, qlik.ReloadRequest{AppID: appID})
	var rl *qlik.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Fatalf("error = %v, want a *RateLimitError with RetryAfter 30s", err)
	}
	if got := tenant.Count(qliktest.RouteCreateReload); got != 1 {
		t.Errorf("POSTs = %d, want 1", got)
	}
	if got := clk.Slept(); len(got) != 0 {
		t.Errorf("slept %v, want no wait that cannot end before the deadline", got)
	}
}

func TestHangingTenantTimesOutEachAttempt(t *testing.T) {
	tenant, c, _ := setup(t, qlik.WithRequestTimeout(250*time.Millisecond), qlik.WithRetryMax(2))
	tenant.SetFault(qliktest.RouteGetApp, qliktest.Hang())
	_, err := c.GetApp(context.Background(), appID)
	var re *qlik.RequestError
	if !errors.As(err, &re) || !re.Timeout() || !re.Sent {
		t.Fatalf("error = %v, want a sent, timed-out *RequestError", err)
	}
	if got := tenant.Count(qliktest.RouteGetApp); got != 3 {
		t.Errorf("requests = %d, want 3 (one and two retries)", got)
	}
}

func TestPostHangingAfterCreatingIsNotRepeated(t *testing.T) {
	tenant, c, _ := setup(t, qlik.WithRequestTimeout(250*time.Millisecond))
	tenant.Inject(qliktest.RouteCreateReload, qliktest.Hang().AfterHandling())
	_, err := c.CreateReload(context.Background(), qlik.ReloadRequest{AppID: appID})
	if !qlik.OutcomeUnknown(err) {
		t.Fatalf("error = %v, want an unknown outcome", err)
	}
	if got := tenant.Count(qliktest.RouteCreateReload); got != 1 {
		t.Errorf("POSTs = %d, want 1", got)
	}
	if got := tenant.ReloadsCreated(); got != 1 {
		t.Errorf("reloads created = %d, want 1", got)
	}
}

func TestRequestNeverSentIsRetried(t *testing.T) {
	// A listener that is closed at once: every connection is refused, so
	// no request is ever written and even a POST may be tried again.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	clk := clock.NewFake(time.Now())
	c, err := qlik.NewClient("http://"+addr, qlik.WithTokenSource(staticToken(testKey)), qlik.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateReload(context.Background(), qlik.ReloadRequest{AppID: appID})
	var re *qlik.RequestError
	if !errors.As(err, &re) || re.Sent {
		t.Fatalf("error = %v, want an unsent *RequestError", err)
	}
	if qlik.OutcomeUnknown(err) {
		t.Errorf("OutcomeUnknown = true for a request never sent")
	}
	if got := len(clk.Slept()); got != qlik.DefaultRetryMax {
		t.Errorf("waits = %d, want %d (one before each retry)", got, qlik.DefaultRetryMax)
	}
}

func TestErrorsNeverContainTheToken(t *testing.T) {
	const secret = "super-secret-client-secret"
	// A server that echoes the credentials it received into its error
	// body, as a misbehaving proxy might.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body strings.Builder
		_, _ = body.WriteString(r.Header.Get("Authorization"))
		buf := make([]byte, 1024)
		n, _ := r.Body.Read(buf)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		detail := strings.NewReplacer(`"`, `'`).Replace(body.String() + " " + string(buf[:n]))
		_, _ = w.Write([]byte(`{"errors":[{"code":"X","title":"echo","detail":"` + detail + `"}]}`))
	}))
	defer srv.Close()
	c, err := qlik.NewClient(srv.URL, qlik.WithTokenSource(staticToken(testKey)))
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := c.GetApp(context.Background(), appID)
	_, err2 := c.ClientCredentialsToken(context.Background(), "client-id", secret)
	for _, err := range []error{err1, err2} {
		if err == nil {
			t.Fatal("want an error")
		}
		for _, s := range []string{testKey, secret} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains a credential", err)
			}
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("error %q: want the echoed credential replaced by [redacted]", err)
		}
	}
}

func TestTokenFormattingHidesTheAccessToken(t *testing.T) {
	tenant, c, _ := setup(t)
	tenant.AddOAuthClient("client-id", "client-secret-value")
	tok, err := c.ClientCredentialsToken(context.Background(), "client-id", "client-secret-value")
	if err != nil {
		t.Fatalf("ClientCredentialsToken: %v", err)
	}
	if tok.ExpiresIn != int64(6*time.Hour/time.Second) || tok.TokenType != "bearer" {
		t.Errorf("token = %v, want a 6-hour bearer token", tok)
	}
	for _, s := range []string{tok.String(), tok.GoString(), fmt.Sprintf("%v|%+v|%#v|%s", tok, tok, tok, *tok)} {
		if strings.Contains(s, tok.AccessToken) {
			t.Errorf("formatted token %q shows the access token", s)
		}
	}
	_, err = c.ClientCredentialsToken(context.Background(), "client-id", "wrong")
	var ae *qlik.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: error = %v, want a 401 *APIError", err)
	}
}

// h2Client returns a client that reaches the tenant through an HTTP/2 front
// with the transport the function uses in production.
func h2Client(t *testing.T, tenant *qliktest.Tenant, clk clock.Clock, opts ...qlik.Option) (*qliktest.H2Front, *qlik.Client) {
	t.Helper()
	front := tenant.NewH2Front(t)
	tr := qlik.NewTransport()
	tr.TLSClientConfig = &tls.Config{RootCAs: front.CertPool()}
	t.Cleanup(tr.CloseIdleConnections)
	all := append([]qlik.Option{qlik.WithHTTPClient(&http.Client{Transport: tr}),
		qlik.WithTokenSource(staticToken(testKey)), qlik.WithClock(clk)}, opts...)
	c, err := qlik.NewClient(front.URL, all...)
	if err != nil {
		t.Fatal(err)
	}
	return front, c
}

func TestHTTP2StreamResetAfterThePOSTIsNotReplayed(t *testing.T) {
	tenant, _, clk := setup(t)
	front, c := h2Client(t, tenant, clk)
	// A read first, so that the POST goes out on an established HTTP/2
	// connection, as the handler's POST does.
	if _, err := c.GetApp(context.Background(), appID); err != nil {
		t.Fatalf("GetApp over HTTP/2: %v", err)
	}
	front.ResetAfterHandling(http.MethodPost, "/api/v1/reloads")

	_, err := c.CreateReload(context.Background(), qlik.ReloadRequest{AppID: appID})
	var re *qlik.RequestError
	if !errors.As(err, &re) || !re.Sent || !qlik.OutcomeUnknown(err) {
		t.Fatalf("error = %v, want a sent *RequestError with an unknown outcome", err)
	}
	if got := tenant.Count(qliktest.RouteCreateReload); got != 1 {
		t.Errorf("POSTs the tenant processed = %d, want exactly 1", got)
	}
	if got := tenant.ReloadsCreated(); got != 1 {
		t.Errorf("reloads created = %d, want 1", got)
	}

	// Reads stay replayable: a reset GET is sent again and succeeds.
	front.ResetAfterHandling(http.MethodGet, "/api/v1/reloads")
	list, err := c.ListReloads(context.Background(), appID, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListReloads after a reset = %v, %v; want the one reload", list, err)
	}
}

// fragments returns every piece of secret n bytes long.
func fragments(secret string, n int) []string {
	var out []string
	for i := 0; i+n <= len(secret); i++ {
		out = append(out, secret[i:i+n])
	}
	return out
}

func TestErrorBodiesAreRedactedBeforeTheyAreCut(t *testing.T) {
	const secret = "client-secret-0123456789abcdefghij"
	for _, offset := range []int{150, 170, 185, 190, 195, 199, 200, 205} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			// A proxy's HTML page that echoes the Authorization header and
			// the token request's body, with the secrets placed so that the
			// 200-character cut falls inside them.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := new(strings.Builder)
				_, _ = fmt.Fprint(body, strings.Repeat("x", offset))
				_, _ = fmt.Fprintf(body, " %s ", r.Header.Get("Authorization"))
				b := make([]byte, 4096)
				n, _ := r.Body.Read(b)
				_, _ = fmt.Fprintf(body, "%s", b[:n])
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				_, _ = fmt.Fprintf(w, "<html><body>%s</body></html>", strings.Repeat("y", offset-12)+" "+body.String()[offset:])
			}))
			defer srv.Close()
			// The client logs from the calling goroutine only.
			var logs strings.Builder
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			c, err := qlik.NewClient(srv.URL, qlik.WithTokenSource(staticToken(testKey)),
				qlik.WithClock(clock.NewFake(time.Now())), qlik.WithRetryMax(1), qlik.WithLogger(logger))
			if err != nil {
				t.Fatal(err)
			}
			_, err1 := c.GetApp(context.Background(), appID)
			_, err2 := c.ClientCredentialsToken(context.Background(), "client-id", secret)
			if err1 == nil || err2 == nil {
				t.Fatalf("errors = %v, %v; want two", err1, err2)
			}
			out := err1.Error() + "\n" + err2.Error() + "\n" + fmt.Sprintf("%+v %#v", err1, err2) + "\n" + logs.String()
			for _, s := range []string{testKey, secret} {
				for _, frag := range fragments(s, 8) {
					if strings.Contains(out, frag) {
						t.Fatalf("output contains %q, a piece of a credential:\n%s", frag, out)
					}
				}
			}
		})
	}
}

// countingTokens counts Token and InvalidateToken calls and fails every
// Token call with err.
type countingTokens struct {
	mu                   sync.Mutex
	err                  error
	tokens, invalidation int
}

func (c *countingTokens) Token(context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens++
	return "", c.err
}

func (c *countingTokens) InvalidateToken(string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidation++
}

func TestTokenFailuresAreNotPOSTFailures(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"token exchange timed out", &qlik.RequestError{Method: "POST", Path: "/oauth/token", Sent: true, Err: context.DeadlineExceeded}},
		{"token exchange 503", &qlik.APIError{Method: "POST", Path: "/oauth/token", StatusCode: 503}},
		{"token exchange 401", &qlik.APIError{Method: "POST", Path: "/oauth/token", StatusCode: 401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, _, clk := setup(t)
			src := &countingTokens{err: tt.err}
			c, err := qlik.NewClient(tenant.URL, qlik.WithTokenSource(src), qlik.WithClock(clk))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateReload(context.Background(), qlik.ReloadRequest{AppID: appID})
			var te *qlik.TokenError
			if !errors.As(err, &te) || !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want a *TokenError wrapping the exchange's error", err)
			}
			if qlik.OutcomeUnknown(err) {
				t.Errorf("OutcomeUnknown = true for a POST that was never sent")
			}
			if got := tenant.Count(qliktest.RouteCreateReload); got != 0 {
				t.Errorf("POSTs = %d, want 0", got)
			}
			if src.tokens != 1 || src.invalidation != 0 {
				t.Errorf("token calls = %d, invalidations = %d; want 1 and 0 (no second authorisation)", src.tokens, src.invalidation)
			}
		})
	}
}

func TestPOSTIsSentOnlyWhenAnAttemptFitsBeforeTheDeadline(t *testing.T) {
	tests := []struct {
		name      string
		left      time.Duration
		faults    []qliktest.Fault
		wantPOSTs int
		wantErr   func(error) bool
	}{
		{
			name:      "first send with less time left than one attempt",
			left:      3 * time.Second,
			wantPOSTs: 0,
			wantErr:   func(err error) bool { return errors.Is(err, qlik.ErrNoTimeToSend) && !qlik.OutcomeUnknown(err) },
		},
		{
			name:      "re-send after a rate limit when the attempt would end after the deadline",
			left:      6500 * time.Millisecond,
			faults:    []qliktest.Fault{qliktest.RateLimited(2 * time.Second)},
			wantPOSTs: 1,
			wantErr:   func(err error) bool { var rl *qlik.RateLimitError; return errors.As(err, &rl) },
		},
		{
			name:      "re-send after a rate limit when the attempt fits",
			left:      7500 * time.Millisecond,
			faults:    []qliktest.Fault{qliktest.RateLimited(2 * time.Second)},
			wantPOSTs: 2,
			wantErr:   func(err error) bool { return err == nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, c, clk := setup(t, qlik.WithRequestTimeout(5*time.Second))
			tenant.Inject(qliktest.RouteCreateReload, tt.faults...)
			ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(tt.left))
			defer cancel()
			_, err := c.CreateReload(ctx, qlik.ReloadRequest{AppID: appID})
			if !tt.wantErr(err) {
				t.Errorf("error = %v", err)
			}
			if got := tenant.Count(qliktest.RouteCreateReload); got != tt.wantPOSTs {
				t.Errorf("POSTs = %d, want %d", got, tt.wantPOSTs)
			}
		})
	}
}

func TestUnreadableCreatedAnswerStillCountsAsCreated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"65f1c0de`))
	}))
	defer srv.Close()
	c, err := qlik.NewClient(srv.URL, qlik.WithTokenSource(staticToken(testKey)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.CreateReload(context.Background(), qlik.ReloadRequest{AppID: appID, Partial: true})
	if err != nil {
		t.Fatalf("CreateReload = %v; a 201 means the reload was created", err)
	}
	if r.ID != "" || r.AppID != appID || !r.Partial {
		t.Errorf("reload = %+v, want the app and kind asked for and no id", r)
	}
}

// heldSecrets is a token source that also holds an OAuth client's secret.
type heldSecrets struct{ token, clientSecret string }

func (h heldSecrets) Token(context.Context) (string, error) { return h.token, nil }
func (h heldSecrets) Secrets() []string                     { return []string{h.clientSecret, h.token} }

// TestReloadLogNeverContainsTheSecrets: a script that prints the token or
// the OAuth client's secret into its log (or its error message) is read
// with both replaced, in every form a server may echo them.
func TestReloadLogNeverContainsTheSecrets(t *testing.T) {
	const clientSecret = "oauth client/secret+value"
	tenant, _, _ := setup(t)
	tenant.AddAPIKey("access-token-value")
	c, err := qlik.NewClient(tenant.URL, qlik.WithTokenSource(heldSecrets{token: "access-token-value", clientSecret: clientSecret}))
	if err != nil {
		t.Fatal(err)
	}
	tenant.AddApp(appID, "Sales", qliktest.ReloaderPrivileges...)
	log := "connect with access-token-value\nsecret " + clientSecret + "\nescaped " + url.QueryEscape(clientSecret) + "\n"
	id := tenant.AddRunningReload(appID, log, qliktest.FinalPhases(0, 0, qlik.StatusFailed)...)
	rl, err := c.GetReload(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"access-token-value", clientSecret, url.QueryEscape(clientSecret)} {
		if strings.Contains(rl.Log, s) {
			t.Errorf("log %q holds %q", rl.Log, s)
		}
	}
	if got := strings.Count(rl.Log, "[redacted]"); got != 3 {
		t.Errorf("log %q: %d redactions, want 3", rl.Log, got)
	}
}
