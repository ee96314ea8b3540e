package qlik

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDefaultRetryPolicy(t *testing.T) {
	api := func(status int) *APIError { return &APIError{Method: "GET", Path: "/x", StatusCode: status} }
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		replayable bool
		err        error
		want       bool
	}{
		{"rate limit on a POST", context.Background(), false, &RateLimitError{APIError: api(429), RetryAfter: time.Second}, true},
		{"pending reload", context.Background(), false, &PendingReloadError{APIError: api(429)}, false},
		{"503 on a GET", context.Background(), true, api(503), true},
		{"503 on a POST", context.Background(), false, api(503), false},
		{"501 on a GET", context.Background(), true, api(501), false},
		{"404 on a GET", context.Background(), true, api(404), false},
		{"401 on a GET", context.Background(), true, api(401), false},
		{"unsent POST", context.Background(), false, &RequestError{Err: errors.New("connection refused")}, true},
		{"sent POST", context.Background(), false, &RequestError{Sent: true, Err: context.DeadlineExceeded}, false},
		{"sent GET", context.Background(), true, &RequestError{Sent: true, Err: context.DeadlineExceeded}, true},
		{"unreadable 200", context.Background(), true, &RequestError{Sent: true, StatusCode: 200, Err: errors.New("bad json")}, false},
		{"untrusted certificate", context.Background(), true, &RequestError{Err: x509.UnknownAuthorityError{}}, false},
		{"credential error", context.Background(), true, errors.New("secret not found"), false},
		{"token exchange timed out", context.Background(), false, &TokenError{Err: &RequestError{Sent: true, Err: context.DeadlineExceeded}}, false},
		{"token exchange rate limited", context.Background(), false, &TokenError{Err: &RateLimitError{APIError: api(429), RetryAfter: time.Second}}, false},
		{"no time to send", context.Background(), false, &RequestError{Err: ErrNoTimeToSend}, false},
		{"context done", canceled, true, api(503), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultRetryPolicy(tt.ctx, tt.replayable, tt.err); got != tt.want {
				t.Errorf("DefaultRetryPolicy(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		name     string
		attempt  int
		err      error
		min, max time.Duration
	}{
		{"first retry", 1, errors.New("x"), 100 * time.Millisecond, 200 * time.Millisecond},
		{"second retry", 2, errors.New("x"), 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", 20, errors.New("x"), 2500 * time.Millisecond, 5 * time.Second},
		{"retry after", 1, &RateLimitError{APIError: &APIError{}, RetryAfter: 3 * time.Second}, 3 * time.Second, 3300 * time.Millisecond},
		{"long retry after jitter capped", 1, &RateLimitError{APIError: &APIError{}, RetryAfter: 60 * time.Second}, 60 * time.Second, 61 * time.Second},
		{"rate limit without retry after", 1, &RateLimitError{APIError: &APIError{}}, 100 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				if got := DefaultBackoff(tt.attempt, tt.err); got < tt.min || got > tt.max {
					t.Fatalf("DefaultBackoff(%d, %v) = %v, want within [%v, %v]", tt.attempt, tt.err, got, tt.min, tt.max)
				}
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in         string
		want       time.Duration
		wantHeader bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 2 ", 2 * time.Second, true},
		{"-1", 0, true},
		{"99999999999", 24 * time.Hour, true},
		{"99999999999999999999999", MaxRetryAfter, true},
		{"-99999999999999999999999", 0, true},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"soon", 0, true},
	}
	for _, tt := range tests {
		got, header := parseRetryAfter(tt.in, now)
		if got != tt.want || header != tt.wantHeader {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, header, tt.want, tt.wantHeader)
		}
	}
}

func TestCheckResponseTellsThe429sApart(t *testing.T) {
	req := func(method, path string) *http.Request {
		return &http.Request{Method: method, URL: &url.URL{Path: path}}
	}
	tests := []struct {
		name        string
		req         *http.Request
		header      http.Header
		body        string
		wantRate    bool
		wantAfter   time.Duration
		wantPending bool
	}{
		{"code and header", req("POST", reloadsPath), http.Header{"Retry-After": {"4"}}, `{"errors":[{"code":"HTTP-429","title":"API rate limit reached."}]}`, true, 4 * time.Second, false},
		{"header only", req("POST", reloadsPath), http.Header{"Retry-After": {"4"}}, `{}`, true, 4 * time.Second, false},
		{"code only", req("POST", reloadsPath), http.Header{}, `{"errors":[{"code":"HTTP-429","title":"API rate limit reached."}]}`, true, 0, false},
		{"pending code on the reload POST", req("POST", reloadsPath), http.Header{}, `{"errors":[{"code":"RELOADS-007","title":"Too many requests"}]}`, false, 0, true},
		{"pending detail on the reload POST", req("POST", reloadsPath), http.Header{}, `{"errors":[{"code":"RELOADS-099","title":"Too many requests","detail":"A pending reload request already exists for this app"}]}`, false, 0, true},
		{"unknown code on the reload POST", req("POST", reloadsPath), http.Header{}, `{"errors":[{"code":"TENANT-429","title":"Too many requests"}]}`, true, 0, false},
		{"empty body on the reload POST", req("POST", reloadsPath), http.Header{}, ``, true, 0, false},
		{"proxy page on the reload POST", req("POST", reloadsPath), http.Header{}, `<html><body>Slow down</body></html>`, true, 0, false},
		{"pending code with Retry-After", req("POST", reloadsPath), http.Header{"Retry-After": {"3"}}, `{"errors":[{"code":"RELOADS-007"}]}`, true, 3 * time.Second, false},
		{"neither on a GET", req("GET", reloadsPath), http.Header{}, `{}`, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 429, Header: tt.header, Request: tt.req, Body: http.NoBody}
			if tt.body != "" {
				resp.Body = nopCloser(tt.body)
			}
			err := checkResponse(resp, time.Now())
			var rl *RateLimitError
			var pending *PendingReloadError
			if got := errors.As(err, &rl); got != tt.wantRate {
				t.Errorf("rate limit = %v, want %v (%v)", got, tt.wantRate, err)
			}
			if tt.wantRate && rl.RetryAfter != tt.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", rl.RetryAfter, tt.wantAfter)
			}
			if got := errors.As(err, &pending); got != tt.wantPending {
				t.Errorf("pending = %v, want %v (%v)", got, tt.wantPending, err)
			}
		})
	}
}

func TestCheckResponseNonJSONBody(t *testing.T) {
	resp := &http.Response{
		StatusCode: 502,
		Request:    &http.Request{Method: "GET", URL: &url.URL{Path: "/api/v1/apps/x"}},
		Body:       nopCloser("<html>\n<body>Bad   gateway</body></html>"),
	}
	err := checkResponse(resp, time.Now())
	if got, want := err.Error(), "GET /api/v1/apps/x: 502 Bad Gateway: <html> <body>Bad gateway</body></html>"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func nopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
