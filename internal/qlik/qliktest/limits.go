package qliktest

import (
	"net/http"
	"strconv"
	"time"
)

// Limits are a tenant's rate limits: how many requests of each tier it
// accepts in any rolling window. Qlik measures its limits over five
// minutes, so a burst of five times the per-minute figure passes and the
// next request waits for the oldest to leave the window. A request over a
// limit gets Qlik's rate-limit 429 with a Retry-After of the whole seconds
// until a slot frees, and does not count.
type Limits struct {
	// Window is the rolling window; Qlik's is five minutes.
	Window time.Duration
	// Starts bounds POST /api/v1/reloads (Qlik: 50 a minute).
	Starts int
	// Tokens bounds POST /oauth/token (Qlik: 100 a minute).
	Tokens int
	// Reads bounds the GET endpoints (Qlik: 1,000 a minute).
	Reads int
}

// QlikLimits are Qlik Cloud's documented limits for the endpoints the fake
// serves, over Qlik's five-minute window.
var QlikLimits = Limits{Window: 5 * time.Minute, Starts: 5 * 50, Tokens: 5 * 100, Reads: 5 * 1000}

// Tiers of Limits.
const (
	TierStarts = "starts"
	TierTokens = "tokens"
	TierReads  = "reads"
)

// WithLimits makes the tenant enforce limits (on the tenant's clock).
func WithLimits(l Limits) Option {
	return func(t *Tenant) {
		t.limits = &l
		t.windows = map[string][]time.Time{}
		t.limited = map[string]int{}
	}
}

func tierOf(route string) (tier string, limit func(Limits) int) {
	switch route {
	case RouteCreateReload:
		return TierStarts, func(l Limits) int { return l.Starts }
	case RouteToken:
		return TierTokens, func(l Limits) int { return l.Tokens }
	}
	return TierReads, func(l Limits) int { return l.Reads }
}

// admitLocked counts a request against its tier, or returns how long the
// caller must wait when the tier is exhausted.
func (t *Tenant) admitLocked(route string) (time.Duration, bool) {
	if t.limits == nil {
		return 0, true
	}
	tier, limit := tierOf(route)
	now := t.now()
	w := t.windows[tier]
	cut := 0
	for cut < len(w) && !w[cut].After(now.Add(-t.limits.Window)) {
		cut++
	}
	w = w[cut:]
	if n := limit(*t.limits); n > 0 && len(w) >= n {
		t.windows[tier] = w
		t.limited[tier]++
		return w[len(w)-n].Add(t.limits.Window).Sub(now), false
	}
	t.windows[tier] = append(w, now)
	return 0, true
}

// RateLimited returns how many requests of tier (TierStarts, TierTokens,
// TierReads) were refused for its limit.
func (t *Tenant) RateLimited(tier string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limited[tier]
}

func writeRateLimited(w http.ResponseWriter, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeJSON(w, http.StatusTooManyRequests, fixture("error-429-rate-limit.json"))
}
