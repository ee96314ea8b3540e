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
// exhausted: it carries the code HTTP-429 and a Retry-After header. Nothing
// was done with the request, so it is safe to send again after RetryAfter.
// See https://qlik.dev/apis/rest/#rate-limiting.
type RateLimitError struct {
	*APIError
	// RetryAfter is how long Qlik asked the caller to wait; zero when the
	// response did not say.
	RetryAfter time.Duration
}

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
// app is already waiting to run.
type PendingReloadError struct {
	*APIError
}

// Unwrap returns the underlying *APIError.
func (e *PendingReloadError) Unwrap() error { return e.APIError }

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
// request: the request reached Qlik and then timed out or failed to be read,
// or Qlik answered with a 5xx status (which it may send after the work is
// done). For POST /api/v1/reloads this means a reload may exist.
func OutcomeUnknown(err error) bool {
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
		Errors:     parseErrors(body),
	}
	for i := range ae.Errors {
		it := &ae.Errors[i]
		it.Code = redact(it.Code, secrets)
		it.Title = redact(it.Title, secrets)
		it.Detail = redact(it.Detail, secrets)
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return ae
	}
	retryAfter, hasHeader := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if hasHeader || ae.HasCode("HTTP-429") {
		return &RateLimitError{APIError: ae, RetryAfter: retryAfter}
	}
	if resp.Request.Method == http.MethodPost && resp.Request.URL.Path == reloadsPath {
		return &PendingReloadError{APIError: ae}
	}
	// A bare 429 anywhere else can only be a rate limit that forgot to say
	// for how long; the backoff policy picks the wait.
	return &RateLimitError{APIError: ae}
}

func parseErrors(body []byte) []ErrorItem {
	var doc struct {
		Errors []ErrorItem `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err == nil && len(doc.Errors) > 0 {
		return doc.Errors
	}
	text := strings.Join(strings.Fields(string(bytes.ToValidUTF8(body, nil))), " ")
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
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, true
		}
		// An absurd value is capped rather than overflowed; the caller's
		// deadline check turns it into "not lifted in time".
		const maxSecs = int64(24 * time.Hour / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, true
}

func redact(s string, secrets []string) string { return Redact(s, secrets...) }

// Redact returns s with every occurrence of each secret replaced by
// [redacted]; empty secrets are skipped.
func Redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
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
