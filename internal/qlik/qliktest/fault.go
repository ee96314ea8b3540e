package qliktest

import (
	"net/http"
	"strconv"
	"time"
)

// Fault replaces the tenant's answer to one request (Inject) or to every
// request of a route (SetFault).
type Fault struct {
	status        int
	body          string
	retryAfter    string
	hang          bool
	drop          bool
	afterHandling bool
	sideEffect    func()
}

// RateLimited is Qlik's rate-limit 429: a Retry-After header with whole
// seconds and the error code HTTP-429.
func RateLimited(retryAfter time.Duration) Fault {
	return Fault{
		status:     http.StatusTooManyRequests,
		body:       "error-429-rate-limit.json",
		retryAfter: strconv.Itoa(int(retryAfter / time.Second)),
	}
}

// PendingReload is the other 429 of POST /api/v1/reloads: "a pending
// reload request already exists for this app", without Retry-After or the
// HTTP-429 code.
func PendingReload() Fault {
	return Fault{status: http.StatusTooManyRequests, body: "error-429-pending.json"}
}

// ServerError answers status (a 5xx) with Qlik's error body.
func ServerError(status int) Fault {
	return Fault{status: status, body: "error-500.json"}
}

// Status answers status with the named fixture body from testdata.
func Status(status int, fixtureName string) Fault {
	return Fault{status: status, body: fixtureName}
}

// Hang never answers: the request waits until the client gives up or the
// tenant closes.
func Hang() Fault { return Fault{hang: true} }

// Drop closes the connection without answering.
func Drop() Fault { return Fault{drop: true} }

// AfterHandling returns a copy of f that first lets the tenant act on the
// request (a POST creates its reload) and then answers with f: the caller
// cannot tell that the work was done.
func (f Fault) AfterHandling() Fault {
	f.afterHandling = true
	return f
}

// WithSideEffect returns a copy of f that runs fn when the fault is met,
// before the answer: a test can change the tenant at that exact moment (add
// the reload another trigger queued, break the next request).
func (f Fault) WithSideEffect(fn func()) Fault {
	f.sideEffect = fn
	return f
}

func (t *Tenant) serveFault(w http.ResponseWriter, r *http.Request, f Fault) {
	if f.sideEffect != nil {
		f.sideEffect()
	}
	switch {
	case f.hang:
		select {
		case <-r.Context().Done():
		case <-t.closing:
		}
	case f.drop:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("qliktest: response writer cannot be hijacked")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeJSON(w, f.status, fixture(f.body))
	}
}
