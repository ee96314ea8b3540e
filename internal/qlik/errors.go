package qlik

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxErrorBody bounds how much of an error response is read: Qlik's error
// bodies are a few hundred bytes, and a proxy's HTML page must not be held
// in memory whole.
const maxErrorBody = 64 << 10

// ErrorItem is one entry of the errors array that Qlik returns with every
// error status. See https://qlik.dev/apis/rest/reloads/ (the Errors schema).
type ErrorItem struct {
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
}

// APIError is a response from Qlik with a status other than 2xx.
type APIError struct {
	// Method and Path identify the request, without host or query.
	Method string
	Path   string
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Errors holds the entries of the response body's errors array, with
	// anything that looked like the request's token removed. When the body
	// was not Qlik's JSON (a proxy's page, say), it holds one entry whose
	// Detail is the start of the body.
	Errors []ErrorItem
}

// Error describes the request, the status and Qlik's first error entry.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if len(e.Errors) > 0 {
		it := e.Errors[0]
		for _, s := range []string{it.Code, it.Title, it.Detail} {
			if s != "" {
				b.WriteString(": ")
				b.WriteString(s)
			}
		}
	}
	return b.String()
}

// Code returns the code of the first error entry, or "" when there is none.
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// HasCode reports whether any error entry carries code.
func (e *APIError) HasCode(code string) bool {
	for _, it := range e.Errors {
		if it.Code == code {
			return true
		}
	}
	return false
}

// RateLimitError is a 429 that Qlik sends when a rate-limit tier is
// exhausted: it carries the code HTTP-429 and a Retry-After header. Every
// other 429 that is not positively the pending-reload answer (see
// [PendingReloadError]) is taken for a rate limit too, because a 429 means
// the request was refused unprocessed. Nothing was done with the request,
// so it is safe to send again after RetryAfter.
// See https://qlik.dev/apis/rest/#rate-limiting.
type RateLimitError struct {
	*APIError
	// RetryAfter is how long Qlik asked the caller to wait; zero when the
	// response did not say. A value too large to read, or beyond
	// MaxRetryAfter, is MaxRetryAfter.
	RetryAfter time.Duration
}

// MaxRetryAfter caps the wait a Retry-After header can ask for. Any
// deadline a caller has ends before it, so the wait is not started and the
// rate limit is reported instead.
const MaxRetryAfter = 24 * time.Hour

// Error describes the 429 and the wait Qlik asked for.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s (retry after %s)", e.APIError.Error(), e.RetryAfter)
	}
	return e.APIError.Error()
}

// Unwrap returns the underlying *APIError.
func (e *RateLimitError) Unwrap() error { return e.APIError }

// PendingReloadError is the other 429 of POST /api/v1/reloads: "a pending
// reload request already exists for this app". It has neither the HTTP-429
// code nor a Retry-After header, and it is not retryable: a reload of the
// app is already waiting to run. It is recognised positively, by its code
// RELOADS-007 or by a title or detail that speaks of a pending reload
// request; any other 429 is a *RateLimitError.
type PendingReloadError struct {
	*APIError
}

// Unwrap returns the underlying *APIError.
func (e *PendingReloadError) Unwrap() error { return e.APIError }

// TokenError is a request that was not sent because its bearer token could
// not be had: the secret could not be read, or the OAuth token exchange
// failed, timed out or was refused. Qlik never saw the request, so it is
// never an unknown outcome, and the client neither retries it nor reads the
// credential again (the token source did what it could). Err is the token
// source's error: a *credential.SecretError, a *credential.OAuthError, or
// the exchange's *APIError, *RateLimitError or *RequestError.
type TokenError struct {
	// Method and Path identify the request that was not sent.
	Method string
	Path   string
	Err    error
}

// Error names the request and the token failure.
func (e *TokenError) Error() string {
	return fmt.Sprintf("%s %s not sent: get the bearer token: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the token source's error.
func (e *TokenError) Unwrap() error { return e.Err }

// ErrNoTimeToSend is wrapped by the *RequestError (Sent false) of a request
// that must not be repeated and was therefore not sent: the time left before
// the context's deadline did not cover one attempt (the request timeout).
// Sending it anyway could leave its outcome unknown with no time to find
// it out.
var ErrNoTimeToSend = errors.New("not sent: too little time left before the deadline")

// RequestError is a request that got no usable response: the connection
// failed, the request timed out, or the response could not be read.
type RequestError struct {
	Method string
	Path   string
	// Sent is true when the request had been written to the connection in
	// full before the failure, so Qlik may have acted on it.
	Sent bool
	// StatusCode is the response's status when one arrived but its body
	// could not be read or decoded; zero otherwise.
	StatusCode int
	Err        error
}

// Error describes the request and the failure.
func (e *RequestError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s %s: read %d response: %v", e.Method, e.Path, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// Timeout reports whether the request failed because a deadline passed.
func (e *RequestError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// OutcomeUnknown reports whether err leaves it open whether Qlik acted on a
// request: the request reached Qlik and then timed out, was reset or failed
// to be read, or Qlik answered with a 5xx status (which it may send after
// the work is done). For POST /api/v1/reloads this means a reload may
// exist. A *TokenError is never an unknown outcome: the request was not
// sent.
func OutcomeUnknown(err error) bool {
	var te *TokenError
	if errors.As(err, &te) {
		return false
	}
	var re *RequestError
	if errors.As(err, &re) {
		return re.Sent || re.StatusCode != 0
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode >= 500
}

// checkResponse turns a non-2xx response into a typed error. The body is
// read through a size limit, and token (the bearer token or client secret
// sent with the request) is removed from every text taken from it, so that
// no secret can reach a log through an error even if a server echoes it.
func checkResponse(resp *http.Response, now time.Time, secrets ...string) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	ae := &APIError{
		Method:     resp.Request.Method,
		Path:       resp.Request.URL.Path,
		StatusCode: resp.StatusCode,
		Errors:     parseErrors(body, secrets),
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return ae
	}
	retryAfter, hasHeader := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if !hasHeader && !ae.HasCode("HTTP-429") && isPendingReload(ae) &&
		resp.Request.Method == http.MethodPost && resp.Request.URL.Path == reloadsPath {
		return &PendingReloadError{APIError: ae}
	}
	// Any other 429 is a rate limit, whether or not it says for how long
	// (Qlik documents limits beyond the HTTP-429 one, tenant-wide and on
	// error responses); the backoff policy picks the wait when it does not.
	return &RateLimitError{APIError: ae, RetryAfter: retryAfter}
}

// pendingReloadCode is the code one client reads on the pending-reload 429;
// Qlik does not document it, so the answer's text is accepted as well.
const pendingReloadCode = "RELOADS-007"

// isPendingReload reports whether a 429 is positively Qlik's "a pending
// reload request already exists for this app".
func isPendingReload(ae *APIError) bool {
	for _, it := range ae.Errors {
		text := strings.ToLower(it.Title + " " + it.Detail)
		if it.Code == pendingReloadCode || strings.Contains(text, "pending reload") {
			return true
		}
	}
	return false
}

// parseErrors reads Qlik's errors array from body, or else keeps the start
// of the body as one entry's detail. Every form of every secret is removed
// from the whole body before anything is cut, so that no part of a secret
// that straddles the cut can survive.
func parseErrors(body []byte, secrets []string) []ErrorItem {
	var doc struct {
		Errors []ErrorItem `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err == nil && len(doc.Errors) > 0 {
		for i := range doc.Errors {
			it := &doc.Errors[i]
			it.Code = redact(it.Code, secrets)
			it.Title = redact(it.Title, secrets)
			it.Detail = redact(it.Detail, secrets)
		}
		return doc.Errors
	}
	text := redact(string(bytes.ToValidUTF8(body, nil)), secrets)
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return nil
	}
	const maxSnippet = 200
	if len(text) > maxSnippet {
		cut := maxSnippet
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "..."
	}
	return []ErrorItem{{Detail: text}}
}

// parseRetryAfter reads a Retry-After header: Qlik sends whole seconds, and
// RFC 9110 also allows an HTTP date. It reports whether the header was
// present at all.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err == nil {
		if secs < 0 {
			return 0, true
		}
		// An absurd value is capped rather than overflowed; the caller's
		// deadline check turns it into "not lifted in time".
		return min(time.Duration(min(secs, maxRetryAfterSecs))*time.Second, MaxRetryAfter), true
	}
	if errors.Is(err, strconv.ErrRange) {
		// Whole seconds, too many to count: the cap, not "no wait".
		if strings.HasPrefix(v, "-") {
			return 0, true
		}
		return MaxRetryAfter, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, true
}

const maxRetryAfterSecs = int64(MaxRetryAfter / time.Second)

// redact replaces every secret in s with [redacted], in the forms a server
// may echo it: as sent, JSON-escaped (the token request's body), and
// URL-encoded (a form or query). Empty secrets are skipped.
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
		if b, err := json.Marshal(secret); err == nil {
			forms = append(forms, string(b[1:len(b)-1]))
		}
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, "[redacted]")
		}
	}
	return s
}

// permanentTransportError reports whether a transport failure cannot be
// cured by trying again: the tenant's certificate is not trusted, or the
// URL's scheme is wrong.
func permanentTransportError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify)
}
