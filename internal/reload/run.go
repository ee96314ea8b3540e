package reload

import (
	"context"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
)

// adoptSkew widens the adoption window for clock differences between
// Lambda and Qlik. It is kept short: a reload created well before the run
// was claimed belongs to another run.
const adoptSkew = 5 * time.Second

// AdoptedDetail is the result's detail when a run adopted a reload.
const AdoptedDetail = "adopted the app's reload created since the run was first claimed: an earlier attempt of this run created it and could not record it"

// RunOptions adjust how StartRun handles one run of the ledger.
type RunOptions struct {
	// AdoptSince, when not zero, is when the run was claimed by an attempt
	// that may have created a reload without recording it. A reload of the
	// app created since then is taken as the run's (with created true)
	// instead of starting one.
	AdoptSince time.Time
	// Unreported leaves logging and metrics to the caller, which reports
	// each run itself (the start queue's consumer).
	Unreported bool
}

// StartRun is Handle for a run the ledger has claimed: it starts the
// event's reload at most once, adopting the run's own reload first when
// opts.AdoptSince says an earlier attempt may have created one.
func (h *Handler) StartRun(ctx context.Context, ev Event, opts RunOptions) (Result, error) {
	start := h.clock.Now()
	if err := ev.Validate(); err != nil {
		e := &Error{Kind: KindInvalidEvent, AppID: ev.AppID, Message: err.Error(), Err: err}
		if !opts.Unreported {
			h.report(ctx, ev, outcome{}, e, start)
		}
		return Result{}, e
	}
	return h.handle(ctx, ev, start, opts)
}

// adoptable returns the oldest of the listed reloads created since since,
// or nil when since is zero or there is none. The oldest is the one an
// earlier attempt created right after its claim; anything newer came
// after it.
func adoptable(reloads []qlik.Reload, since time.Time) *qlik.Reload {
	if since.IsZero() {
		return nil
	}
	var found *qlik.Reload
	for i := range reloads {
		r := &reloads[i]
		if r.CreationTime.IsZero() || r.CreationTime.Before(since.Add(-adoptSkew)) {
			continue
		}
		if found == nil || r.CreationTime.Before(found.CreationTime.Time) {
			found = r
		}
	}
	return found
}

func adoptedResult(r qlik.Reload) Result {
	res := resultOf(r, true)
	res.Detail = AdoptedDetail
	return res
}
