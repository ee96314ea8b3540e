// Package qliktest provides a fake Qlik Cloud tenant for tests: an
// httptest server that answers the reload endpoints, the app endpoint and
// the OAuth token endpoint the way Qlik documents them, and lets a test
// script faults (both kinds of 429, 5xx, hanging or dropped responses) and
// count what happened (reloads created, tokens issued).
package qliktest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
)

//go:embed testdata/*.json
var fixtures embed.FS

func fixture(name string) []byte {
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		// The fixtures are embedded at build time: a missing one is a bug in
		// this package, not a condition a test can meet.
		panic(err)
	}
	return b
}

// Routes name the endpoints, for Inject, SetFault and Count.
const (
	RouteGetApp       = "GET /api/v1/apps/{appId}"
	RouteListReloads  = "GET /api/v1/reloads"
	RouteCreateReload = "POST /api/v1/reloads"
	RouteGetReload    = "GET /api/v1/reloads/{reloadId}"
	RouteToken        = "POST /oauth/token"
)

// Identities the fake writes into reloads.
const (
	TenantID = "efSCcpNYuayTysONkUcE3F80zYQ_LV9w"
	UserID   = "FyPG6xWp6prDU6BXQ3g7LY9gWR_YRkkx"
)

// ReloaderPrivileges are the privileges of a user who may reload an app.
var ReloaderPrivileges = []string{"read", "update", "delete", "reload", "export", "publish", "change_owner", "change_space", "exportappdata"}

// ReaderPrivileges are the privileges of a user who may only read an app.
var ReaderPrivileges = []string{"read", "exportappdata"}

// Phase is one step of a reload's status timeline.
type Phase struct {
	Status qlik.Status
	// For is how long the reload stays in Status; the last phase of a
	// timeline lasts forever.
	For time.Duration
}

// DefaultTimeline is the timeline of a created reload unless SetTimeline
// says otherwise: queued for a second, reloading for a minute, then
// succeeded.
var DefaultTimeline = []Phase{
	{Status: qlik.StatusQueued, For: time.Second},
	{Status: qlik.StatusReloading, For: time.Minute},
	{Status: qlik.StatusSucceeded},
}

// Option configures a Tenant.
type Option func(*Tenant)

// WithClock makes the tenant tell time with now, so that status timelines
// and token expiry follow a test's fake clock.
func WithClock(now func() time.Time) Option { return func(t *Tenant) { t.now = now } }

// Tenant is a fake Qlik Cloud tenant. All methods are safe for concurrent
// use with the requests it serves.
type Tenant struct {
	// URL is the tenant's base URL (http on 127.0.0.1).
	URL string

	srv     *httptest.Server
	closing chan struct{}
	now     func() time.Time

	mu         sync.Mutex
	apiKeys    map[string]bool
	clients    map[string]string
	tokens     map[string]time.Time
	tokenTTL   time.Duration
	apps       map[string]*app
	autoApps   bool
	reloads    []*reload
	timeline   []Phase
	queue      map[string][]Fault
	persistent map[string]Fault
	counts     map[string]int
	times      map[string][]time.Time
	created    []qlik.ReloadRequest
	tokenCalls int
	seq        int

	// Rate limits (WithLimits): the admitted requests per tier still in
	// the window, and the refused ones.
	limits  *Limits
	windows map[string][]time.Time
	limited map[string]int
}

type app struct {
	id, name   string
	privileges []string
}

type reload struct {
	id       string
	appID    string
	created  time.Time
	partial  bool
	weight   int
	timeline []Phase
	typ      string
	// log is the script log shown once the reload ended; empty means
	// a short default.
	log string
}

// New starts a fake tenant and stops it when the test ends. It accepts no
// credential until AddAPIKey or AddOAuthClient is called.
func New(tb testing.TB, opts ...Option) *Tenant {
	tb.Helper()
	t := &Tenant{
		closing:    make(chan struct{}),
		now:        time.Now,
		apiKeys:    map[string]bool{},
		clients:    map[string]string{},
		tokens:     map[string]time.Time{},
		tokenTTL:   6 * time.Hour,
		apps:       map[string]*app{},
		timeline:   DefaultTimeline,
		queue:      map[string][]Fault{},
		persistent: map[string]Fault{},
		counts:     map[string]int{},
		times:      map[string][]time.Time{},
	}
	for _, opt := range opts {
		opt(t)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(RouteGetApp, t.route(RouteGetApp, t.getApp))
	mux.HandleFunc(RouteListReloads, t.route(RouteListReloads, t.listReloads))
	mux.HandleFunc(RouteCreateReload, t.route(RouteCreateReload, t.createReload))
	mux.HandleFunc(RouteGetReload, t.route(RouteGetReload, t.getReload))
	mux.HandleFunc(RouteToken, t.route(RouteToken, t.token))
	t.srv = httptest.NewServer(mux)
	t.URL = t.srv.URL
	tb.Cleanup(t.Close)
	return t
}

// Close releases hanging requests and stops the server. It is called when
// the test ends; calling it twice is harmless.
func (t *Tenant) Close() {
	t.mu.Lock()
	select {
	case <-t.closing:
		t.mu.Unlock()
		return
	default:
		close(t.closing)
	}
	t.mu.Unlock()
	t.srv.CloseClientConnections()
	t.srv.Close()
}

// AddAPIKey makes the tenant accept key as a bearer token.
func (t *Tenant) AddAPIKey(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.apiKeys[key] = true
}

// RevokeAPIKey makes the tenant reject key, as Qlik does once a key
// expires.
func (t *Tenant) RevokeAPIKey(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.apiKeys, key)
}

// AddOAuthClient registers a machine-to-machine OAuth client.
func (t *Tenant) AddOAuthClient(id, secret string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clients[id] = secret
}

// SetTokenTTL sets the lifetime of access tokens issued from now on
// (default 6 hours, Qlik's).
func (t *Tenant) SetTokenTTL(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tokenTTL = d
}

// AddApp adds an app on which the callers hold privileges.
func (t *Tenant) AddApp(id, name string, privileges ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.apps[id] = &app{id: id, name: name, privileges: slices.Clone(privileges)}
}

// AutoCreateApps makes any well-formed app id exist, with reload
// privileges, so that benchmarks can use a fresh app per invocation.
func (t *Tenant) AutoCreateApps(on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.autoApps = on
}

// SetTimeline sets the status timeline of reloads created from now on.
func (t *Tenant) SetTimeline(phases ...Phase) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.timeline = slices.Clone(phases)
}

// AddReload records a full reload of appID that was created age ago and
// stays in status, as if someone else had started it; it returns its id.
func (t *Tenant) AddReload(appID string, status qlik.Status, age time.Duration) string {
	return t.addReload(appID, status, age, false)
}

// AddPartialReload is AddReload for a partial reload.
func (t *Tenant) AddPartialReload(appID string, status qlik.Status, age time.Duration) string {
	return t.addReload(appID, status, age, true)
}

func (t *Tenant) addReload(appID string, status qlik.Status, age time.Duration, partial bool) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &reload{
		id:       t.nextIDLocked(),
		appID:    appID,
		created:  t.now().Add(-age),
		timeline: []Phase{{Status: status}},
		typ:      "hub",
		weight:   1,
		partial:  partial,
	}
	t.reloads = append(t.reloads, r)
	return r.id
}

// Inject queues faults for route: each matching request consumes one, in
// order, instead of the normal answer.
func (t *Tenant) Inject(route string, faults ...Fault) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.queue[route] = append(t.queue[route], faults...)
}

// SetFault makes every request to route meet fault from now on.
func (t *Tenant) SetFault(route string, fault Fault) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.persistent[route] = fault
}

// Count returns how many requests reached route, faults included.
func (t *Tenant) Count(route string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[route]
}

// ReloadsCreated returns how many reloads the tenant created through
// POST /api/v1/reloads.
func (t *Tenant) ReloadsCreated() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.created)
}

// CreateRequests returns the bodies of the POST /api/v1/reloads requests
// that created a reload, in order.
func (t *Tenant) CreateRequests() []qlik.ReloadRequest {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.created)
}

// TokenRequests returns how many token requests the tenant answered with a
// token.
func (t *Tenant) TokenRequests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tokenCalls
}

// Reload returns a reload as the tenant would answer it now.
func (t *Tenant) Reload(id string) (qlik.Reload, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.reloads {
		if r.id == id {
			return t.renderLocked(r), true
		}
	}
	return qlik.Reload{}, false
}

// route wraps a handler with counting and fault injection.
func (t *Tenant) route(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		t.counts[name]++
		t.times[name] = append(t.times[name], t.now())
		if wait, ok := t.admitLocked(name); !ok {
			t.mu.Unlock()
			writeRateLimited(w, wait)
			return
		}
		var fault *Fault
		if q := t.queue[name]; len(q) > 0 {
			f := q[0]
			t.queue[name] = q[1:]
			fault = &f
		} else if f, ok := t.persistent[name]; ok {
			fault = &f
		}
		t.mu.Unlock()

		if fault == nil {
			h(w, r)
			return
		}
		if fault.afterHandling {
			// Let the real handler act, but throw its answer away: the
			// caller sees the fault although the work was done.
			rec := httptest.NewRecorder()
			h(rec, r)
		}
		t.serveFault(w, r, *fault)
	}
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// authorize checks the bearer token and answers 401 with Qlik's error body
// when it is missing, unknown or expired.
func (t *Tenant) authorize(w http.ResponseWriter, r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	t.mu.Lock()
	valid := ok && token != "" && (t.apiKeys[token] || t.tokens[token].After(t.now()))
	t.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, fixture("error-401.json"))
	}
	return valid
}

func (t *Tenant) lookupAppLocked(id string) *app {
	if a, ok := t.apps[id]; ok {
		return a
	}
	if t.autoApps && guid.MatchString(id) {
		a := &app{id: id, name: "app " + id, privileges: slices.Clone(ReloaderPrivileges)}
		t.apps[id] = a
		return a
	}
	return nil
}

func (t *Tenant) getApp(w http.ResponseWriter, r *http.Request) {
	if !t.authorize(w, r) {
		return
	}
	t.mu.Lock()
	a := t.lookupAppLocked(r.PathValue("appId"))
	t.mu.Unlock()
	if a == nil {
		writeJSON(w, http.StatusNotFound, fixture("error-404-app.json"))
		return
	}
	var doc map[string]any
	if err := json.Unmarshal(fixture("app.json"), &doc); err != nil {
		panic(err)
	}
	attrs := doc["attributes"].(map[string]any)
	attrs["id"] = a.id
	attrs["name"] = a.name
	doc["privileges"] = a.privileges
	writeValue(w, http.StatusOK, doc)
}

func (t *Tenant) listReloads(w http.ResponseWriter, r *http.Request) {
	if !t.authorize(w, r) {
		return
	}
	q := r.URL.Query()
	appID := q.Get("appId")
	limit := 10
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, fixture("error-400.json"))
			return
		}
		limit = n
	}
	if appID == "" {
		// Only tenant admins may list every reload; the fake's callers are
		// not admins.
		writeJSON(w, http.StatusBadRequest, fixture("error-400.json"))
		return
	}
	t.mu.Lock()
	var page qlik.ReloadList
	page.Data = []qlik.Reload{}
	for i := len(t.reloads) - 1; i >= 0 && len(page.Data) < limit; i-- {
		if rl := t.reloads[i]; rl.appID == appID {
			r := t.renderLocked(rl)
			if q.Get("log") != "true" {
				// Qlik lists logs only when asked to.
				r.Log = ""
			}
			page.Data = append(page.Data, r)
		}
	}
	t.mu.Unlock()
	page.Links.Self = &qlik.Href{Href: t.URL + r.URL.RequestURI()}
	writeValue(w, http.StatusOK, page)
}

func (t *Tenant) getReload(w http.ResponseWriter, r *http.Request) {
	if !t.authorize(w, r) {
		return
	}
	rl, ok := t.Reload(r.PathValue("reloadId"))
	if !ok {
		writeJSON(w, http.StatusNotFound, fixture("error-404-reload.json"))
		return
	}
	writeValue(w, http.StatusOK, rl)
}

func (t *Tenant) createReload(w http.ResponseWriter, r *http.Request) {
	if !t.authorize(w, r) {
		return
	}
	var req qlik.ReloadRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || !guid.MatchString(req.AppID) || !validVariables(req.Variables) ||
		req.Weight < 0 || req.Weight > 10 {
		writeJSON(w, http.StatusBadRequest, fixture("error-400.json"))
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.lookupAppLocked(req.AppID)
	if a == nil {
		writeJSON(w, http.StatusNotFound, fixture("error-404-app.json"))
		return
	}
	if !slices.Contains(a.privileges, "reload") {
		writeJSON(w, http.StatusForbidden, fixture("error-403-reload.json"))
		return
	}
	now := t.now()
	for _, rl := range t.reloads {
		if rl.appID == req.AppID && statusAt(rl, now) == qlik.StatusQueued {
			writeJSON(w, http.StatusTooManyRequests, fixture("error-429-pending.json"))
			return
		}
	}
	rl := &reload{
		id:       t.nextIDLocked(),
		appID:    req.AppID,
		created:  now,
		timeline: t.timeline,
		typ:      "external",
		weight:   max(req.Weight, 1),
		partial:  req.Partial,
	}
	t.reloads = append(t.reloads, rl)
	t.created = append(t.created, req)
	writeValue(w, http.StatusCreated, t.renderLocked(rl))
}

func validVariables(vars map[string]string) bool {
	if len(vars) > 20 {
		return false
	}
	for k, v := range vars {
		if k == "" || len([]rune(k)) > 256 || len([]rune(v)) > 256 {
			return false
		}
	}
	return true
}

func (t *Tenant) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		GrantType    string `json:"grant_type"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, fixture("error-400.json"))
			return
		}
		req.ClientID, req.ClientSecret, req.GrantType = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), r.PostForm.Get("grant_type")
	} else if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, fixture("error-400.json"))
		return
	}
	if req.GrantType != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, fixture("error-400.json"))
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	secret, ok := t.clients[req.ClientID]
	if !ok || secret != req.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, fixture("error-oauth-401.json"))
		return
	}
	t.tokenCalls++
	t.seq++
	tok := fmt.Sprintf("eyJhbGciOiJFUzM4NCJ9.fake-access-token-%d.c2lnbmF0dXJl", t.seq)
	expires := t.now().Add(t.tokenTTL)
	t.tokens[tok] = expires
	writeValue(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "bearer",
		"expires_in":   int64(t.tokenTTL / time.Second),
		"expires_at":   expires.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"scope":        "user_default",
	})
}

func (t *Tenant) nextIDLocked() string {
	t.seq++
	// Qlik's reload ids are 24 hex digits (a Mongo ObjectId), not GUIDs.
	return fmt.Sprintf("%08x%016x", 0x65f1c0de, t.seq)
}

// statusAt walks a reload's timeline to its status at now.
func statusAt(r *reload, now time.Time) qlik.Status {
	elapsed := now.Sub(r.created)
	for i, p := range r.timeline {
		if i == len(r.timeline)-1 || elapsed < p.For {
			return p.Status
		}
		elapsed -= p.For
	}
	return qlik.StatusQueued
}

func (t *Tenant) renderLocked(r *reload) qlik.Reload {
	now := t.now()
	out := qlik.Reload{
		ID:           r.id,
		AppID:        r.appID,
		TenantID:     TenantID,
		UserID:       UserID,
		Type:         r.typ,
		Status:       statusAt(r, now),
		Partial:      r.partial,
		Weight:       r.weight,
		CreationTime: qlik.Timestamp{Time: r.created.Truncate(time.Millisecond)},
		Links:        &qlik.Links{Self: &qlik.Href{Href: t.URL + "/api/v1/reloads/" + url.PathEscape(r.id)}},
	}
	if out.Status != qlik.StatusQueued && len(r.timeline) > 1 {
		out.StartTime = qlik.Timestamp{Time: r.created.Add(r.timeline[0].For).Truncate(time.Millisecond)}
	}
	if out.Status.Final() {
		// A reload ends when its timeline reaches the last phase.
		end := r.created
		for _, p := range r.timeline[:len(r.timeline)-1] {
			end = end.Add(p.For)
		}
		out.EndTime = qlik.Timestamp{Time: end.Truncate(time.Millisecond)}
		out.Log = "ReloadID: " + r.id + "\nStarted loading\n"
		if r.log != "" {
			out.Log = r.log
		}
	}
	if out.Status == qlik.StatusFailed {
		out.ErrorCode = "EngineConnectionError"
		out.ErrorMessage = "failed to complete reload: unexpected EOF"
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSpace(body))
}

func writeValue(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	writeJSON(w, status, b)
}
