package qlik

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// CheckRetry decides whether a failed attempt is tried again. replayable
// tells whether the request may be repeated after it reached Qlik (reads
// and the token exchange may; creating a reload may not). err is the typed
// error of the attempt.
type CheckRetry func(ctx context.Context, replayable bool, err error) bool

// Backoff returns how long to wait before attempt number attempt (1 for
// the first retry) after the failure err.
type Backoff func(attempt int, err error) time.Duration

// DefaultRetryPolicy retries:
//   - a rate-limit 429 on any request, because Qlik did nothing with it;
//   - a request that failed before it was written in full, because Qlik
//     never saw it, unless the failure is permanent (an untrusted
//     certificate);
//   - for replayable requests only, transport failures and timeouts after
//     sending, and the 5xx statuses that mean "try later" (500, 502, 503,
//     504).
//
// It never retries once ctx is done, and never retries other 4xx statuses,
// a pending-reload 429, a *TokenError (the token source has its own
// retries), a request held back by [ErrNoTimeToSend], or errors that are not
// from the transport.
func DefaultRetryPolicy(ctx context.Context, replayable bool, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var te *TokenError
	if errors.As(err, &te) || errors.Is(err, ErrNoTimeToSend) {
		return false
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return true
	}
	var pending *PendingReloadError
	if errors.As(err, &pending) {
		return false
	}
	var re *RequestError
	if errors.As(err, &re) {
		if re.StatusCode != 0 || permanentTransportError(re.Err) {
			// A response arrived but was unreadable: repeating the request
			// is unlikely to change that, and for a POST it would be blind.
			return false
		}
		return !re.Sent || replayable
	}
	var ae *APIError
	if errors.As(err, &ae) && replayable {
		switch ae.StatusCode {
		case 500, 502, 503, 504:
			return true
		}
	}
	return false
}

// Backoff bounds of DefaultBackoff.
const (
	backoffMin = 200 * time.Millisecond
	backoffMax = 5 * time.Second
)

// DefaultBackoff waits what a rate-limit 429's Retry-After asks for, plus up
// to a tenth of it (at most one second) of jitter, so that invocations
// limited at the same moment do not all return in the same instant. Other
// failures back off exponentially from 200 ms, doubling per attempt, capped
// at 5 s, with "equal jitter": half the step is fixed and half random, which
// keeps waits from collapsing to zero while still spreading them.
func DefaultBackoff(attempt int, err error) time.Duration {
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		spread := min(rl.RetryAfter/10, time.Second)
		return rl.RetryAfter + randDuration(spread)
	}
	step := backoffMin << min(max(attempt-1, 0), 10)
	step = min(step, backoffMax)
	return step/2 + randDuration(step/2)
}

func randDuration(upTo time.Duration) time.Duration {
	if upTo <= 0 {
		return 0
	}
	return rand.N(upTo + 1)
}
