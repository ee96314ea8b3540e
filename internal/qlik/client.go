package qlik

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
)

const (
	// DefaultRequestTimeout bounds one HTTP attempt when no
	// WithRequestTimeout option is given.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultRetryMax is how many times a request is retried at most when
	// no WithRetryMax option is given. The context's deadline usually ends
	// the retries first.
	DefaultRetryMax = 4

	// maxBody bounds a successful response body. Reload lists are asked
	// for without logs, and a single reload's log summary is short, so
	// anything larger is not Qlik talking.
	maxBody = 8 << 20

	userAgent = "qlik-reload-triggers"
)

// TokenSource supplies the bearer token sent with every authenticated
// request: an API key or an OAuth access token.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// SecretHolder is implemented by a TokenSource that knows secrets besides
// the bearer token (an OAuth client's id and secret): they are removed,
// with the token, from every text the client takes from a response.
type SecretHolder interface {
	Secrets() []string
}

// redactable is a response value holding free text that Qlik writes (a
// reload's log), from which secrets are removed after decoding.
type redactable interface {
	redact(secrets []string)
}

// TokenInvalidator is implemented by a TokenSource that can drop a token Qlik
// rejected with 401, so that the next Token call fetches a fresh credential
// (a rotated API key, a new access token). The client then retries the
// request once.
type TokenInvalidator interface {
	InvalidateToken(token string)
}

// Client talks to one Qlik Cloud tenant. It is safe for concurrent use.
type Client struct {
	baseURL    *url.URL
	httpClient *http.Client
	tokens     TokenSource
	timeout    time.Duration
	retryMax   int
	checkRetry CheckRetry
	backoff    Backoff
	clock      clock.Clock
	logger     *slog.Logger
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient sets the HTTP client. Redirects are never followed: the
// client's CheckRedirect is replaced on a copy, because a redirected POST
// must not be repeated somewhere else without the caller knowing.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("nil HTTP client")
		}
		cp := *hc
		cp.CheckRedirect = noRedirects
		c.httpClient = &cp
		return nil
	}
}

// WithTokenSource sets where bearer tokens come from. Without it, requests
// are sent without an Authorization header (the token exchange needs none).
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) error {
		c.tokens = ts
		return nil
	}
}

// WithRequestTimeout bounds each HTTP attempt, from sending to reading the
// whole body. The context's deadline still applies when it is sooner.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("request timeout %s: must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetryMax sets how many times a failed request is retried at most.
func WithRetryMax(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return fmt.Errorf("retry max %d: must not be negative", n)
		}
		c.retryMax = n
		return nil
	}
}

// WithClock sets the clock used to wait between attempts and to judge
// whether a wait still fits before the context's deadline.
func WithClock(clk clock.Clock) Option {
	return func(c *Client) error {
		if clk == nil {
			return errors.New("nil clock")
		}
		c.clock = clk
		return nil
	}
}

// WithLogger sets the logger that records retries. Without it, retries are
// silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// NewClient returns a client for the tenant at baseURL, such as
// https://example.eu.qlikcloud.com. The URL must use https, except that
// plain http is accepted for loopback hosts (127.0.0.1, ::1, localhost) so
// that local fakes can stand in for a tenant; it may not carry a path,
// query, fragment or user information.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := ParseTenantURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		baseURL:    u,
		httpClient: &http.Client{Transport: NewTransport(), CheckRedirect: noRedirects},
		timeout:    DefaultRequestTimeout,
		retryMax:   DefaultRetryMax,
		checkRetry: DefaultRetryPolicy,
		backoff:    DefaultBackoff,
		clock:      clock.System(),
		logger:     slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("qlik client: %w", err)
		}
	}
	return c, nil
}

// ParseTenantURL validates a tenant base URL as NewClient does and returns
// it without a trailing slash.
func ParseTenantURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("tenant URL %q: %w", raw, err)
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("tenant URL %q: want an absolute URL such as https://example.eu.qlikcloud.com", raw)
	case u.User != nil:
		return nil, fmt.Errorf("tenant URL %q: must not carry user information", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("tenant URL %q: must not have a query or fragment", raw)
	case u.Path != "" && u.Path != "/":
		return nil, fmt.Errorf("tenant URL %q: must not have a path (the API lives at the tenant's root)", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("tenant URL %q: must use https (plain http is accepted only for 127.0.0.1, ::1 and localhost)", raw)
		}
	default:
		return nil, fmt.Errorf("tenant URL %q: scheme %q: must be https", raw, u.Scheme)
	}
	u.Path = ""
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewTransport returns the HTTP transport the client uses by default: the
// standard one with HTTP/2, bounded connection set-up, and a response header
// timeout as a backstop for the per-attempt context timeout.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	t.MaxIdleConnsPerHost = 4
	t.ForceAttemptHTTP2 = true
	return t
}

// BaseURL returns the tenant's base URL.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// RequestTimeout returns the bound of one HTTP attempt. A caller that must
// look something up after a request (the reload a POST with an unknown
// outcome may have created) reserves at least this much time for it.
func (c *Client) RequestTimeout() time.Duration { return c.timeout }

// WithoutRetries returns a copy of c that sends each request once. It suits
// callers that have their own loop (polling) and should stop at the first
// failure rather than wait.
func (c *Client) WithoutRetries() *Client {
	cp := *c
	cp.retryMax = 0
	return &cp
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// call says how a request is sent: with a bearer token or not, and whether
// it may be repeated after it reached Qlik.
type call struct {
	auth       bool
	replayable bool
	// secret is removed from error texts in addition to the token; the
	// token exchange sets it to the client secret.
	secret string
}

// newRequest builds a request for path (relative to the tenant root) with
// the query and, when body is not nil, a JSON body.
func (c *Client) newRequest(method, path string, query url.Values, body any) (*http.Request, error) {
	u := c.baseURL.JoinPath(path)
	u.RawQuery = query.Encode()
	var r io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s body: %w", method, path, err)
		}
		r = bytes.NewReader(buf)
	}
	// The context is set per attempt in do.
	req, err := http.NewRequestWithContext(context.Background(), method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends req, retrying as the retry policy allows, and decodes a 2xx body
// into v when v is not nil. Every wait is skipped, and the last error
// returned, when it would end after ctx's deadline.
func (c *Client) do(ctx context.Context, req *http.Request, how call, v any) error {
	reauthorized := false
	for attempt := 0; ; attempt++ {
		token, err := c.attempt(ctx, req, how, v)
		if err == nil {
			return nil
		}
		var te *TokenError
		if errors.As(err, &te) {
			// The token source already retried and re-read what it could;
			// a 401 from the token exchange must not start the
			// re-authorisation below a second time.
			return err
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized && how.auth && !reauthorized {
			if inv, ok := c.tokens.(TokenInvalidator); ok {
				// The credential may have been rotated since it was read:
				// read it again once, without counting an attempt.
				reauthorized = true
				inv.InvalidateToken(token)
				attempt--
				c.logger.WarnContext(ctx, "qlik rejected the credential; reading it again",
					"method", req.Method, "path", req.URL.Path)
				continue
			}
		}
		if attempt >= c.retryMax || !c.checkRetry(ctx, how.replayable, err) {
			return err
		}
		wait := c.backoff(attempt+1, err)
		// A request that must not be repeated is sent again only when the
		// attempt itself still fits after the wait: otherwise its outcome
		// could be cut off by the deadline and become unknown.
		need := wait
		if !how.replayable {
			need += c.timeout
		}
		if deadline, ok := ctx.Deadline(); ok && c.clock.Now().Add(need).After(deadline) {
			c.logger.WarnContext(ctx, "qlik request failed; no time left to retry",
				"method", req.Method, "path", req.URL.Path, "attempt", attempt+1,
				"waitMs", wait.Milliseconds(), "error", err.Error())
			return err
		}
		c.logger.WarnContext(ctx, "qlik request failed; retrying",
			"method", req.Method, "path", req.URL.Path, "attempt", attempt+1,
			"waitMs", wait.Milliseconds(), "error", err.Error())
		if serr := c.clock.Sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// attempt sends req once and returns the token it used, so that a 401 can
// invalidate exactly that token.
func (c *Client) attempt(ctx context.Context, req *http.Request, how call, v any) (string, error) {
	if err := c.checkTimeToSend(ctx, req, how); err != nil {
		return "", err
	}
	var token string
	if how.auth && c.tokens != nil {
		var err error
		token, err = c.tokens.Token(ctx)
		if err != nil {
			return "", &TokenError{Method: req.Method, Path: req.URL.Path, Err: err}
		}
		// Again: the token exchange may have taken a while.
		if err := c.checkTimeToSend(ctx, req, how); err != nil {
			return token, err
		}
	}

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var sent atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				sent.Store(true)
			}
		},
	}
	r := req.Clone(httptrace.WithClientTrace(actx, trace))
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return token, fmt.Errorf("%s %s: rewind body: %w", req.Method, req.URL.Path, err)
		}
		r.Body = body
	}
	if !how.replayable {
		// Without GetBody neither of Go's transports can send the body a
		// second time on its own: the HTTP/2 transport otherwise repeats a
		// request whose stream the server reset with PROTOCOL_ERROR even
		// after the whole body went out (golang/go#47635), and the HTTP/1
		// transport never repeats a POST without it. Such a failure then
		// comes back here as a sent request with an unknown outcome.
		r.GetBody = nil
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}

	resp, err := c.httpClient.Do(r)
	if err != nil {
		return token, &RequestError{Method: req.Method, Path: req.URL.Path, Sent: sent.Load(), Err: stripURL(err)}
	}
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
	}()
	secrets := c.secrets(token, how.secret)
	if err := checkResponse(resp, c.clock.Now(), secrets...); err != nil {
		return token, err
	}
	if v == nil {
		return token, nil
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return token, &RequestError{Method: req.Method, Path: req.URL.Path, Sent: true, StatusCode: resp.StatusCode, Err: err}
	}
	if r, ok := v.(redactable); ok {
		r.redact(secrets)
	}
	return token, nil
}

// secrets returns what must never appear in a text taken from a response:
// the token sent, the call's own secret, and what the token source holds.
func (c *Client) secrets(token, secret string) []string {
	out := []string{token, secret}
	if h, ok := c.tokens.(SecretHolder); ok {
		out = append(out, h.Secrets()...)
	}
	return out
}

// checkTimeToSend holds back a request that must not be repeated when one
// attempt no longer fits before ctx's deadline.
func (c *Client) checkTimeToSend(ctx context.Context, req *http.Request, how call) error {
	if how.replayable {
		return nil
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	if left := deadline.Sub(c.clock.Now()); left < c.timeout {
		return &RequestError{Method: req.Method, Path: req.URL.Path,
			Err: fmt.Errorf("%w: %s left, and one attempt may take %s", ErrNoTimeToSend, max(left, 0).Round(time.Millisecond), c.timeout)}
	}
	return nil
}

// stripURL removes the *url.Error wrapper, whose text repeats the full URL
// (with its query); RequestError names method and path itself.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
