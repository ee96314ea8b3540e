package reload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/metrics"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
)

// Defaults of Config.
const (
	// DefaultWaitTimeout bounds the polling after a 201.
	DefaultWaitTimeout = 5 * time.Second
	// DefaultDeadlineMargin is kept free before the invocation's deadline;
	// for short deadlines a tenth of the remaining time is kept instead.
	DefaultDeadlineMargin = 500 * time.Millisecond
)

const (
	// listLimit is how many recent reloads are inspected. Active reloads
	// are the newest (the list is newest first), so a few are enough.
	listLimit = 10
	// maxCreateAttempts bounds POST /api/v1/reloads after unknown outcomes
	// that the tenant confirmed created nothing.
	maxCreateAttempts = 3
	// creationSkew widens the window in which a reload counts as created
	// by this invocation, for clock differences between Lambda and Qlik.
	creationSkew = time.Minute
	// Polling a new reload: the first poll firstPoll after the 201, then
	// every pollEvery, so a start is seen within half a second of it. Once
	// the wait has lasted steadyWait, polls space out to a tenth of the
	// time waited, so that a long QLIK_WAIT_TIMEOUT costs few reads more.
	// A reload queued for one second costs three polls, five reads of the
	// tenant's read budget in all with the app and list checks.
	firstPoll  = 250 * time.Millisecond
	pollEvery  = 500 * time.Millisecond
	steadyWait = 5 * time.Second
)

// Metric names written per invocation.
const (
	MetricReloadsStarted       = metrics.ReloadsStarted
	MetricReloadsAlreadyActive = "ReloadsAlreadyActive"
	MetricTriggerFailures      = "TriggerFailures"
	MetricReloadsFailed        = "ReloadsFailed"
)

// Credentials describes the credential in use, for messages.
// *credential.Source implements it.
type Credentials interface {
	// SecretID names the secret that holds the credential.
	SecretID() string
	// Kind is the kind of credential read last.
	Kind() credential.Kind
}

// Metrics records one invocation's metrics; *emf.Writer implements it.
type Metrics interface {
	Write(metrics []emf.Metric, properties map[string]any) error
}

// Config holds a Handler's dependencies and options.
type Config struct {
	// Client talks to the tenant, with the credential's tokens. Required.
	Client *qlik.Client
	// Credentials names the credential in messages. Required.
	Credentials Credentials
	// Clock defaults to the system clock.
	Clock clock.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Metrics defaults to none.
	Metrics Metrics
	// WaitTimeout bounds the polling after a 201; zero disables it. Use
	// DefaultWaitTimeout unless configured otherwise.
	WaitTimeout time.Duration
	// DeadlineMargin is kept free before the invocation's deadline; zero
	// means DefaultDeadlineMargin.
	DeadlineMargin time.Duration
}

// Handler triggers reloads. It is safe for concurrent use, though Lambda
// sends one invocation at a time.
type Handler struct {
	client      *qlik.Client
	poller      *qlik.Client
	creds       Credentials
	clock       clock.Clock
	logger      *slog.Logger
	metrics     Metrics
	waitTimeout time.Duration
	margin      time.Duration
}

// New returns a Handler. It makes no network call.
func New(cfg Config) (*Handler, error) {
	if cfg.Client == nil {
		return nil, errors.New("reload handler: nil Qlik client")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("reload handler: nil credentials")
	}
	if cfg.WaitTimeout < 0 || cfg.DeadlineMargin < 0 {
		return nil, errors.New("reload handler: negative wait timeout or deadline margin")
	}
	h := &Handler{
		client:      cfg.Client,
		poller:      cfg.Client.WithoutRetries(),
		creds:       cfg.Credentials,
		clock:       cfg.Clock,
		logger:      cfg.Logger,
		metrics:     cfg.Metrics,
		waitTimeout: cfg.WaitTimeout,
		margin:      cfg.DeadlineMargin,
	}
	if h.clock == nil {
		h.clock = clock.System()
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.margin == 0 {
		h.margin = DefaultDeadlineMargin
	}
	return h, nil
}

// Result is what an invocation returns when a reload was created or found.
type Result struct {
	AppID string `json:"appId"`
	// ReloadID is empty only when Qlik reported a pending reload request
	// that its reload list did not show yet.
	ReloadID string `json:"reloadId"`
	// Status is the reload's status when the invocation returned.
	Status qlik.Status `json:"status"`
	// Created is true when this invocation created the reload, false when
	// it found one already active.
	Created bool `json:"created"`
	// CreationTime is when Qlik created the reload.
	CreationTime string `json:"creationTime,omitempty"`
	// Detail explains an unusual outcome in a sentence.
	Detail string `json:"detail,omitempty"`
}

// Invoke decodes payload strictly and handles the event. It is the
// function's entry point.
func (h *Handler) Invoke(ctx context.Context, payload []byte) (Result, error) {
	start := h.clock.Now()
	ev, err := DecodeEvent(payload)
	if err != nil {
		e := &Error{Kind: KindInvalidEvent, Message: err.Error() + "; fix the schedule's input", Err: err}
		h.report(ctx, Event{}, outcome{}, e, start)
		return Result{}, e
	}
	return h.handle(ctx, ev, start, RunOptions{})
}

// Handle starts the event's reload exactly once. It returns an *Error
// exactly when no reload was created or found.
func (h *Handler) Handle(ctx context.Context, ev Event) (Result, error) {
	return h.StartRun(ctx, ev, RunOptions{})
}

// outcome is a successful invocation's result with what the report needs.
type outcome struct {
	Result
	failedSeen bool
}

func (h *Handler) handle(ctx context.Context, ev Event, start time.Time, opts RunOptions) (Result, error) {
	ctx, cancel := h.withMargin(ctx)
	defer cancel()
	out, err := h.trigger(ctx, ev, opts.AdoptSince)
	if opts.Unreported {
		return out.Result, err
	}
	if err != nil {
		h.report(ctx, ev, outcome{}, err, start)
		return Result{}, err
	}
	h.report(ctx, ev, out, nil, start)
	return out.Result, nil
}

// withMargin shortens ctx's deadline so that the invocation can still log
// and answer before Lambda stops it: by the margin, or by a tenth of the
// remaining time when that is less.
func (h *Handler) withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	remaining := deadline.Sub(h.clock.Now())
	margin := min(h.margin, max(remaining/10, 0))
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

func (h *Handler) trigger(ctx context.Context, ev Event, adoptSince time.Time) (outcome, error) {
	log := h.logger.With("appId", ev.AppID)

	// The app check and the list of reloads do not depend on each other:
	// asking both at once saves a round trip to the tenant on every
	// invocation.
	listCtx, cancelList := context.WithCancel(ctx)
	defer cancelList()
	type listed struct {
		reloads []qlik.Reload
		err     error
	}
	listStart := h.clock.Now()
	listCh := make(chan listed, 1)
	go func() {
		r, err := h.client.ListReloads(listCtx, ev.AppID, listLimit)
		listCh <- listed{r, err}
	}()
	app, err := h.client.GetApp(ctx, ev.AppID)
	if err != nil {
		cancelList()
		<-listCh
		return outcome{}, h.classify(ctx, ev.AppID, stepApp, err)
	}
	list := <-listCh
	if !app.Can(qlik.PrivilegeReload) {
		return outcome{}, &Error{
			Kind:  KindAppNotReloadable,
			AppID: ev.AppID,
			Message: fmt.Sprintf("reload of app %s not started: the credential's user may see app %q but not reload it (its privileges are %v): give that user a role that can reload the app (in its space), or use a credential of a user who can",
				ev.AppID, app.Attributes.Name, app.Privileges),
		}
	}
	if list.err != nil {
		return outcome{}, h.classify(ctx, ev.AppID, stepList, list.err)
	}
	if adopted := adoptable(list.reloads, adoptSince); adopted != nil {
		return outcome{Result: adoptedResult(*adopted)}, nil
	}
	if active := h.firstActive(ctx, log, list.reloads, ev.Partial); active != nil {
		return outcome{Result: resultOf(*active, false)}, nil
	}

	c, err := h.create(ctx, log, ev, list.reloads, listStart)
	if err != nil {
		return outcome{}, err
	}
	if c.pending {
		// The reload the schedule wants is already on its way.
		res := Result{AppID: ev.AppID}
		if c.reload != nil {
			res = resultOf(*c.reload, false)
		}
		res.Detail = pendingDetail
		return outcome{Result: res}, nil
	}
	if c.reload.ID == "" {
		// Created, but neither the answer nor the list named it.
		res := resultOf(*c.reload, true)
		res.Detail = unreadableDetail
		return outcome{Result: res}, nil
	}
	final, failed := h.waitForStart(ctx, log, *c.reload)
	return outcome{Result: resultOf(final, true), failedSeen: failed}, nil
}

// unreadableDetail is the result's detail after a 2xx to the POST whose
// reload could be found neither in the answer nor in the app's list.
const unreadableDetail = "Qlik answered that it created the reload, but its answer could not be read and the reload was not listed yet"

// pendingDetail is the result's detail after a pending-reload 429.
const pendingDetail = "Qlik reported that a pending reload request already exists for this app"

// creation is what POST /api/v1/reloads led to.
type creation struct {
	// reload is the created reload, or the active one after a pending
	// reload 429; nil only when that 429 came and no active reload was
	// listed.
	reload *qlik.Reload
	// pending is true after a pending-reload 429.
	pending bool
}

func resultOf(r qlik.Reload, created bool) Result {
	res := Result{AppID: r.AppID, ReloadID: r.ID, Status: r.Status, Created: created}
	if !r.CreationTime.IsZero() {
		res.CreationTime = r.CreationTime.UTC().Format(time.RFC3339Nano)
	}
	return res
}

// firstActive returns the newest reload that satisfies a row asking for a
// partial (or full) reload, logging statuses Qlik did not document.
//
// A reload satisfies the row when it may still run and will run the
// reload the row asks for:
//   - it is QUEUED or RELOADING (or has a status Qlik may add later, which
//     errs towards not starting a second reload);
//   - it is not CANCELING: it will end CANCELED, so it is not the run the
//     schedule asked for;
//   - its kind matches: a partial reload runs only the script's Add,
//     Replace and Merge loads and keeps the other tables as they were, so
//     it does not give a full-reload row fresh data, and a full reload does
//     not run what a partial-reload row asks for (it drops what earlier
//     partial reloads added). Neither stands in for the other.
//
// Variables are not compared: Qlik does not return them with a reload.
func (h *Handler) firstActive(ctx context.Context, log *slog.Logger, reloads []qlik.Reload, partial bool) *qlik.Reload {
	for i := range reloads {
		r := &reloads[i]
		if !r.Status.Active() || r.Status == qlik.StatusCanceling || r.Partial != partial {
			continue
		}
		if !r.Status.Known() {
			log.WarnContext(ctx, "reload has a status Qlik does not document; treating it as active",
				"reloadId", r.ID, "status", string(r.Status))
		}
		return r
	}
	return nil
}

// create sends POST /api/v1/reloads and settles every unknown outcome: it
// returns the reload this invocation created (or, after an unknown outcome,
// found), or the pending one.
//
// The POST runs on a context that ends one request timeout before ctx: the
// client sends (and re-sends) it only while one attempt fits before that
// earlier deadline, so an unknown outcome always leaves at least one
// request timeout to look for the reload it may have created.
func (h *Handler) create(ctx context.Context, log *slog.Logger, ev Event, before []qlik.Reload, listStart time.Time) (creation, error) {
	req := qlik.ReloadRequest{AppID: ev.AppID, Partial: ev.Partial, Variables: ev.Variables, Weight: ev.Weight}
	postCtx, cancel := h.reserveLookup(ctx)
	defer cancel()
	for attempt := 1; ; attempt++ {
		r, err := h.client.CreateReload(postCtx, req)
		if err == nil && r.ID == "" {
			// Qlik said Created but its answer was unreadable: never POST
			// again, only try to name the reload.
			if after, lerr := h.client.ListReloads(ctx, ev.AppID, listLimit); lerr == nil {
				if found := newReload(before, after, listStart, ev.Partial); found != nil {
					return creation{reload: found}, nil
				}
			}
			return creation{reload: r}, nil
		}
		if err == nil {
			return creation{reload: r}, nil
		}
		var pending *qlik.PendingReloadError
		if errors.As(err, &pending) {
			return creation{reload: h.pending(ctx, log, ev), pending: true}, nil
		}
		if !qlik.OutcomeUnknown(err) {
			return creation{}, h.classify(ctx, ev.AppID, stepCreate, err)
		}

		log.WarnContext(ctx, "the outcome of POST /api/v1/reloads is unknown; looking for the reload it may have created",
			"attempt", attempt, "error", err.Error())
		after, lerr := h.client.ListReloads(ctx, ev.AppID, listLimit)
		if lerr != nil {
			return creation{}, &Error{
				Kind:  KindOutcomeUnknown,
				AppID: ev.AppID,
				Message: fmt.Sprintf("reload of app %s may or may not have been created: POST /api/v1/reloads failed (%v) and the app's reloads could not be listed to find out (%v); %s, and the retry creates no second reload while this one is active",
					ev.AppID, err, lerr, asyncRetryNote),
				Err: err,
			}
		}
		if found := newReload(before, after, listStart, ev.Partial); found != nil {
			log.InfoContext(ctx, "found the reload the POST created", "reloadId", found.ID, "status", string(found.Status))
			return creation{reload: found}, nil
		}
		if attempt >= maxCreateAttempts {
			return creation{}, h.classify(ctx, ev.AppID, stepCreate, err)
		}
		// Nothing was created: a new attempt is safe, after a backoff that
		// must leave room for the attempt before the POST's deadline.
		wait := qlik.DefaultBackoff(attempt, err)
		if deadline, ok := postCtx.Deadline(); ok && h.clock.Now().Add(wait+h.client.RequestTimeout()).After(deadline) {
			return creation{}, h.classify(ctx, ev.AppID, stepCreate, err)
		}
		if serr := h.clock.Sleep(postCtx, wait); serr != nil {
			return creation{}, h.classify(ctx, ev.AppID, stepCreate, err)
		}
	}
}

// reserveLookup returns a context for the POST that ends one request
// timeout before ctx does.
func (h *Handler) reserveLookup(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-h.client.RequestTimeout()))
}

// newReload finds, in the list taken after an unknown POST outcome, the
// reload that POST may have created.
//
// The rule: a reload that was not in the list taken before the POST, and
// was created no earlier than one minute before that list was taken, came
// into being after the invocation checked that nothing was active. It was
// created by this POST, or by someone else in the same moments (a user in
// the hub, a duplicate delivery of the same event). Either way the app is
// being reloaded at the time the schedule asked for, which is all the
// schedule wants; a second POST would reload it twice. The time bound only
// keeps an old reload that the first, size-limited page did not show from
// being mistaken for a new one. A new reload of the other kind (partial
// against full) is not the one this POST asked for, and is passed over.
func newReload(before, after []qlik.Reload, listStart time.Time, partial bool) *qlik.Reload {
	known := make(map[string]bool, len(before))
	for _, r := range before {
		known[r.ID] = true
	}
	for i := range after {
		r := &after[i]
		if known[r.ID] || r.Partial != partial {
			continue
		}
		if !r.CreationTime.IsZero() && r.CreationTime.Before(listStart.Add(-creationSkew)) {
			continue
		}
		return r
	}
	return nil
}

// pending handles the 429 "a pending reload request already exists": it
// looks up the active reload to report it, or returns nil when none is
// visible yet (the invocation succeeds either way).
func (h *Handler) pending(ctx context.Context, log *slog.Logger, ev Event) *qlik.Reload {
	reloads, err := h.client.ListReloads(ctx, ev.AppID, listLimit)
	if err != nil {
		log.WarnContext(ctx, "could not list reloads after a pending-reload 429; succeeding without a reload id", "error", err.Error())
		return nil
	}
	if active := h.firstActive(ctx, log, reloads, ev.Partial); active != nil {
		return active
	}
	log.InfoContext(ctx, "a pending reload request exists but no active reload is listed yet; succeeding without a reload id")
	return nil
}

// waitForStart polls a new reload until it leaves QUEUED, for at most the
// wait timeout and never past the deadline. Polls are planned from the start
// of the wait, not chained after each answer, so request latency does not
// push them later and later: the first 250 ms after the 201, then every
// 500 ms, so that a start is seen within half a second of it, and after
// five seconds of waiting a tenth of the time waited apart. Each poll spends
// one read of the tenant's budget (1,000 a minute): a reload queued for one
// second costs three, one queued throughout the default five seconds ten.
// Any failure ends the wait without failing the invocation: the reload
// exists.
func (h *Handler) waitForStart(ctx context.Context, log *slog.Logger, r qlik.Reload) (qlik.Reload, bool) {
	log = log.With("reloadId", r.ID)
	if h.waitTimeout > 0 && r.Status == qlik.StatusQueued {
		ctx, cancel := context.WithTimeout(ctx, h.waitTimeout)
		defer cancel()
		start := h.clock.Now()
		var next time.Duration // when the next poll is due, from start
		for r.Status == qlik.StatusQueued {
			now := h.clock.Now()
			elapsed := now.Sub(start)
			next = nextPoll(next)
			if next < elapsed {
				// The last answer took longer than an interval: plan
				// from now rather than poll in a burst to catch up.
				next = nextPoll(elapsed)
			}
			if next > h.waitTimeout {
				break
			}
			wait := next - elapsed
			if deadline, ok := ctx.Deadline(); ok && now.Add(wait).After(deadline) {
				break
			}
			if err := h.clock.Sleep(ctx, wait); err != nil {
				break
			}
			got, err := h.poller.GetReload(ctx, r.ID)
			if err != nil {
				log.WarnContext(ctx, "polling the new reload failed; it was created, so the invocation succeeds",
					"status", string(r.Status), "error", err.Error())
				break
			}
			r = *got
		}
	}
	failed := r.Status == qlik.StatusFailed || r.Status == qlik.StatusExceededLimit
	switch {
	case failed:
		log.ErrorContext(ctx, "the new reload already ended without success",
			"status", string(r.Status), "errorCode", r.ErrorCode, "errorMessage", r.ErrorMessage)
	case r.Status == qlik.StatusCanceled:
		log.WarnContext(ctx, "the new reload was canceled", "status", string(r.Status))
	case !r.Status.Known():
		log.WarnContext(ctx, "the new reload has a status Qlik does not document", "status", string(r.Status))
	}
	return r, failed
}

// nextPoll returns when the poll after one due at prev (from the start of
// the wait) is due.
func nextPoll(prev time.Duration) time.Duration {
	if prev <= 0 {
		return firstPoll
	}
	if prev < steadyWait {
		return prev + pollEvery
	}
	return prev + max(pollEvery, prev/10)
}

// report logs the invocation's outcome and writes its metrics.
func (h *Handler) report(ctx context.Context, ev Event, out outcome, err error, start time.Time) {
	duration := h.clock.Now().Sub(start)
	props := map[string]any{"durationMs": duration.Milliseconds()}
	if ev.AppID != "" {
		props["appId"] = ev.AppID
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		props["requestId"] = lc.AwsRequestID
	}
	var started, active, failures, failedSeen float64
	if err != nil {
		failures = 1
		kind := KindTenantUnavailable
		var e *Error
		if errors.As(err, &e) {
			kind = e.Kind
		}
		props["errorType"] = string(kind)
		var attrs []any
		if ev.AppID != "" {
			attrs = append(attrs, "appId", ev.AppID)
		}
		attrs = append(attrs, "errorType", string(kind), "error", err.Error(), "durationMs", duration.Milliseconds())
		h.logger.ErrorContext(ctx, "reload not started", attrs...)
	} else {
		if out.Created {
			started = 1
		} else {
			active = 1
		}
		if out.failedSeen {
			failedSeen = 1
		}
		props["reloadId"] = out.ReloadID
		props["status"] = string(out.Status)
		props["created"] = out.Created
		msg := "reload started"
		if !out.Created {
			msg = "reload already active"
		}
		attrs := []any{"appId", out.AppID, "reloadId", out.ReloadID, "status", string(out.Status),
			"created", out.Created, "durationMs", duration.Milliseconds()}
		if out.Detail != "" {
			attrs = append(attrs, "detail", out.Detail)
		}
		h.logger.InfoContext(ctx, msg, attrs...)
	}
	if h.metrics == nil {
		return
	}
	werr := h.metrics.Write([]emf.Metric{
		{Name: MetricReloadsStarted, Unit: emf.Count, Value: started},
		{Name: MetricReloadsAlreadyActive, Unit: emf.Count, Value: active},
		{Name: MetricTriggerFailures, Unit: emf.Count, Value: failures},
		{Name: MetricReloadsFailed, Unit: emf.Count, Value: failedSeen},
	}, props)
	if werr != nil {
		h.logger.WarnContext(ctx, "could not write metrics", "error", werr.Error())
	}
}
