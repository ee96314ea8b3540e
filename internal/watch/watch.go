// Package watch follows every started reload to its end. Once a minute the
// watcher reads the ledger's open runs through the sparse index "open"
// (never the whole table), oldest first, asks Qlik for the status of those
// whose next check is due, within a read budget that leaves Qlik's read
// limit to the reload function, and records what it finds: a final status
// with its end time, duration and, for a failure, a short error summary
// from the reload's log; an overdue flag once a run has been unfinished for
// longer than its bound. Each failure is alerted to the alarm topic,
// grouped per row within an hour, and every end is counted in metrics.
//
// A run reaches its final status exactly once: the ledger accepts the
// first write of it and refuses the rest, so two watchers that overlap
// (a slow minute) neither count nor alert a run twice.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/metrics"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
)

// Ledger is what the watcher reads and writes of the run ledger;
// *ledger.Ledger implements it.
type Ledger interface {
	Due(ctx context.Context, now time.Time, limit int) ([]ledger.Run, error)
	RecordCheck(ctx context.Context, run ledger.Run, status string, next time.Time) error
	RecordFinal(ctx context.Context, run ledger.Run, f ledger.Final) error
	TakeAlert(ctx context.Context, run ledger.Run, now time.Time) error
	AlertSent(ctx context.Context, run ledger.Run) error
	FlagOverdue(ctx context.Context, run ledger.Run, at time.Time) error
	GroupAlert(ctx context.Context, key ledger.Key, now time.Time) (ledger.AlertDecision, error)
}

// Tenant is what the watcher asks Qlik; *qlik.Client implements it. Every
// call is a read, counted against the budget.
type Tenant interface {
	GetReload(ctx context.Context, reloadID string) (*qlik.Reload, error)
	GetApp(ctx context.Context, appID string) (*qlik.App, error)
	ListReloads(ctx context.Context, appID string, limit int) ([]qlik.Reload, error)
}

// Publisher sends alerts; *sns.Client implements it.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Chains starts the rows that run after a row once it SUCCEEDED, and names
// those a failure holds back; *chain.Starter implements it.
type Chains interface {
	Succeeded(ctx context.Context, row string, t time.Time) ([]string, error)
	HeldBack(row string) []string
}

// Metrics records metrics; *emf.Writer implements it.
type Metrics interface {
	Write(metrics []emf.Metric, properties map[string]any) error
}

// Metric names the watcher writes, with the environment as their only
// dimension.
const (
	MetricRunsSucceeded    = metrics.RunsSucceeded
	MetricRunsFailed       = metrics.RunsFailed
	MetricRunsCanceled     = metrics.RunsCanceled
	MetricRunsUnknown      = "RunsUnknown"
	MetricRunDuration      = metrics.RunDuration
	MetricRunsOverdue      = "RunsOverdue"
	MetricWatchReads       = "WatchReads"
	MetricWatchRateLimited = metrics.WatchRateLimited
)

// Defaults of Config.
const (
	DefaultReadsPerMinute = 100
	DefaultMaxRun         = 12 * time.Hour
	// reserve is the time kept before the invocation's deadline: the
	// round stops checking then, so that it can record what it found.
	reserve = 5 * time.Second
	// slack is taken off each next check, so that the watcher of that
	// minute finds the run due although Scheduler invokes it a few
	// seconds early or late.
	slack = 10 * time.Second
	// maxBackoff caps the pause between two checks of a run.
	maxBackoff = 10 * time.Minute
)

// Config holds a Watcher's dependencies and settings.
type Config struct {
	// Ledger, Tenant and Alerts are required.
	Ledger Ledger
	Tenant Tenant
	Alerts Publisher
	// TopicARN is the alarm topic. Required.
	TopicARN string
	// Environment names the environment in alerts. Required.
	Environment string
	// ReadsPerMinute is the most Qlik reads one round spends; zero means
	// DefaultReadsPerMinute.
	ReadsPerMinute int
	// MaxRun is how long a run may stay unfinished before it is flagged
	// overdue; zero means DefaultMaxRun.
	MaxRun time.Duration
	// Clock defaults to the system clock.
	Clock clock.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Metrics defaults to none.
	Metrics Metrics
	// Chains, when set, starts the rows after a run's row when the run
	// SUCCEEDED, and its failure alerts name the rows they hold back. Nil
	// when the table has no chains.
	Chains Chains
}

// Watcher follows runs to their end. One round runs per invocation.
type Watcher struct {
	cfg Config

	// blockedUntil is when Qlik's rate limit, as last answered, lifts: a
	// warm watcher reads nothing before then, whichever round it is.
	mu           sync.Mutex
	blockedUntil time.Time
}

// New returns a Watcher. It makes no call.
func New(cfg Config) (*Watcher, error) {
	var errs []error
	if cfg.Ledger == nil || cfg.Tenant == nil || cfg.Alerts == nil {
		errs = append(errs, errors.New("a ledger, a tenant and a publisher are required"))
	}
	if cfg.TopicARN == "" || cfg.Environment == "" {
		errs = append(errs, errors.New("the alarm topic's ARN and the environment's name are required"))
	}
	if cfg.ReadsPerMinute < 0 || cfg.MaxRun < 0 {
		errs = append(errs, errors.New("negative read budget or run bound"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("watch: %w", errors.Join(errs...))
	}
	if cfg.ReadsPerMinute == 0 {
		cfg.ReadsPerMinute = DefaultReadsPerMinute
	}
	if cfg.MaxRun == 0 {
		cfg.MaxRun = DefaultMaxRun
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{cfg: cfg}, nil
}

// Report is what one round did.
type Report struct {
	// Due is how many open runs were due.
	Due int `json:"due"`
	// Reads is how many Qlik reads the round spent.
	Reads int `json:"reads"`
	// Finished is how many runs the round gave their final status.
	Finished int `json:"finished"`
	// Alerts is how many alerts it sent.
	Alerts int `json:"alerts"`
	// Overdue is how many runs it flagged overdue.
	Overdue int `json:"overdue"`
	// RateLimited is true when Qlik answered a read with a rate limit and
	// the round stopped, leaving the reads to the reload function.
	RateLimited bool `json:"rateLimited"`
}

// errStop ends a round early without being an error of its own.
var errStop = errors.New("stop the round")

// Run runs one round. It returns an error, after doing what it could,
// when the ledger, Qlik (other than a rate limit) or the alarm topic
// failed, so that the invocation fails loudly and its alarm fires.
func (w *Watcher) Run(ctx context.Context) (Report, error) {
	var rep Report
	now := w.cfg.Clock.Now()
	due, err := w.cfg.Ledger.Due(ctx, now, w.cfg.ReadsPerMinute)
	if err != nil {
		return rep, fmt.Errorf("watch: %w", err)
	}
	rep.Due = len(due)
	var errs []error
	for _, run := range due {
		if w.outOfTime(ctx) {
			break
		}
		err := w.follow(ctx, run, &rep)
		if errors.Is(err, errStop) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			if isTenantFailure(err) {
				// Qlik or the credential failed: the other runs would
				// fail the same way and only spend reads.
				break
			}
		}
	}
	w.writeRoundMetrics(rep)
	w.cfg.Logger.InfoContext(ctx, "watcher round", "due", rep.Due, "reads", rep.Reads, "finished", rep.Finished,
		"alerts", rep.Alerts, "overdue", rep.Overdue, "rateLimited", rep.RateLimited)
	if len(errs) > 0 {
		return rep, fmt.Errorf("watch: %w", errors.Join(errs...))
	}
	return rep, nil
}

// isTenantFailure reports whether err came from asking Qlik (or reading
// the credential for it) rather than from the ledger or the topic.
func isTenantFailure(err error) bool {
	var te *tenantError
	return errors.As(err, &te)
}

// tenantError marks a failure to ask Qlik.
type tenantError struct{ err error }

func (e *tenantError) Error() string { return e.err.Error() }
func (e *tenantError) Unwrap() error { return e.err }

func (w *Watcher) outOfTime(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && d.Sub(w.cfg.Clock.Now()) < reserve
}

// follow checks one run.
func (w *Watcher) follow(ctx context.Context, run ledger.Run, rep *Report) error {
	if run.AlertPending {
		// Its end is recorded; the alert did not go out yet.
		return w.alertAndClose(ctx, run, rep)
	}
	if rep.Reads >= w.cfg.ReadsPerMinute || w.blocked() {
		return errStop
	}
	rep.Reads++
	rl, err := w.cfg.Tenant.GetReload(ctx, run.ReloadID)
	logUnread := false
	var re *qlik.RequestError
	if errors.As(err, &re) && re.StatusCode >= 200 && re.StatusCode < 300 {
		// Qlik answered, but the answer could not be read: a script log
		// larger than the client reads. The app's reload list carries no
		// logs, and the reload's status.
		logUnread = true
		rl, err = w.fromList(ctx, run, rep)
	}
	if errors.Is(err, errStop) {
		return err
	}
	if err != nil {
		return w.readFailed(ctx, run, err, rep)
	}
	now := w.cfg.Clock.Now()
	if rl == nil {
		// Not among the app's newest reloads: try again later.
		return w.stillActive(ctx, run, run.Status, now, rep)
	}
	if !rl.Status.Final() {
		return w.stillActive(ctx, run, string(rl.Status), now, rep)
	}
	f := ledger.Final{Status: string(rl.Status), EndedAt: rl.EndTime.Time, Duration: duration(rl, now)}
	if rl.Status == qlik.StatusSucceeded {
		// Before the end is recorded: should starting the rows after it
		// fail, the run stays open and the next round starts them, and
		// one started already is not started twice.
		if err := w.startChains(ctx, run); err != nil {
			return err
		}
	}
	if rl.Status == qlik.StatusFailed || rl.Status == qlik.StatusExceededLimit {
		f.ErrorSummary = Summarize(rl.Log, rl.ErrorCode, rl.ErrorMessage)
		if logUnread {
			f.ErrorSummary = truncate(strings.TrimSpace(f.ErrorSummary+"\n"+logTooLarge), MaxSummary)
		}
		f.Alert = true
	}
	return w.finish(ctx, run, f, rep)
}

// logTooLarge ends the summary of a reload whose log could not be read.
const logTooLarge = "(the reload's log is too large to read here; open it in Qlik)"

// listLimit is how many of an app's newest reloads fromList reads.
const listLimit = 100

// fromList finds the run's reload among its app's newest reloads, which
// Qlik lists without their logs; nil when it is not among them.
func (w *Watcher) fromList(ctx context.Context, run ledger.Run, rep *Report) (*qlik.Reload, error) {
	if rep.Reads >= w.cfg.ReadsPerMinute {
		return nil, errStop
	}
	rep.Reads++
	list, err := w.cfg.Tenant.ListReloads(ctx, run.AppID, listLimit)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == run.ReloadID {
			return &list[i], nil
		}
	}
	return nil, nil
}

// startChains starts the rows after a run's row that it completes.
func (w *Watcher) startChains(ctx context.Context, run ledger.Run) error {
	if w.cfg.Chains == nil || run.Row == "" {
		return nil
	}
	started, err := w.cfg.Chains.Succeeded(ctx, run.Row, run.ScheduledTime)
	if len(started) > 0 {
		w.cfg.Logger.InfoContext(ctx, "started the rows after a succeeded run", "row", run.Row,
			"scheduledTime", run.SK(), "started", started)
	}
	if err != nil {
		return fmt.Errorf("start the rows after %s: %w", run.Key, err)
	}
	return nil
}

// readFailed handles a failed read of the reload: a rate limit stops the
// round, a reload Qlik no longer knows ends the run as UNKNOWN, and
// anything else is an error.
func (w *Watcher) readFailed(ctx context.Context, run ledger.Run, err error, rep *Report) error {
	var rl *qlik.RateLimitError
	if errors.As(err, &rl) {
		return w.rateLimited(ctx, err, rep)
	}
	var ae *qlik.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		return &tenantError{fmt.Errorf("check reload %s of %s: %w", run.ReloadID, run.Key, err)}
	}
	// The reload is gone: ask whether its app is.
	if rep.Reads >= w.cfg.ReadsPerMinute {
		return errStop
	}
	rep.Reads++
	reason := fmt.Sprintf("Qlik no longer knows reload %s of app %s (404); its outcome is unknown", run.ReloadID, run.AppID)
	if _, aerr := w.cfg.Tenant.GetApp(ctx, run.AppID); aerr != nil {
		if errors.As(aerr, &rl) {
			return w.rateLimited(ctx, aerr, rep)
		}
		if !errors.As(aerr, &ae) || (ae.StatusCode != http.StatusNotFound && ae.StatusCode != http.StatusForbidden) {
			return &tenantError{fmt.Errorf("check app %s of %s: %w", run.AppID, run.Key, aerr)}
		}
		reason = fmt.Sprintf("the app %s was deleted (Qlik answers %d for it) before reload %s was seen ending; its outcome is unknown",
			run.AppID, ae.StatusCode, run.ReloadID)
	}
	return w.finish(ctx, run, ledger.Final{Status: ledger.StatusUnknown, ErrorSummary: reason}, rep)
}

func (w *Watcher) rateLimited(ctx context.Context, err error, rep *Report) error {
	// The reload function's reads come first: stop for this minute, and
	// for as long as Qlik asked.
	rep.RateLimited = true
	var rl *qlik.RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		w.mu.Lock()
		w.blockedUntil = w.cfg.Clock.Now().Add(rl.RetryAfter)
		w.mu.Unlock()
	}
	w.cfg.Logger.WarnContext(ctx, "Qlik rate-limited a read; the watcher stops reading until the limit lifts", "error", err.Error())
	return errStop
}

// blocked reports whether Qlik's last rate limit has not lifted yet.
func (w *Watcher) blocked() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cfg.Clock.Now().Before(w.blockedUntil)
}

// stillActive records a check that found the reload running, and flags
// the run once when it has been unfinished for longer than its bound.
func (w *Watcher) stillActive(ctx context.Context, run ledger.Run, status string, now time.Time, rep *Report) error {
	var errs []error
	if run.OverdueAt.IsZero() && now.Sub(runStart(run)) > w.cfg.MaxRun {
		err := w.cfg.Ledger.FlagOverdue(ctx, run, now)
		switch {
		case err == nil:
			rep.Overdue++
			if err := w.overdue(ctx, run, status, now); err != nil {
				errs = append(errs, err)
			} else {
				rep.Alerts++
			}
		case !errors.Is(err, ledger.ErrNotOpen):
			errs = append(errs, err)
		}
	}
	next := now.Add(backoff(run.Checks) - slack)
	if err := w.cfg.Ledger.RecordCheck(ctx, run, status, next); err != nil && !errors.Is(err, ledger.ErrNotOpen) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// finish records the run's end once and, for the writer that recorded
// it, counts it and alerts a failure.
func (w *Watcher) finish(ctx context.Context, run ledger.Run, f ledger.Final, rep *Report) error {
	err := w.cfg.Ledger.RecordFinal(ctx, run, f)
	if errors.Is(err, ledger.ErrNotOpen) {
		// Another watcher recorded it first, and counts it.
		return nil
	}
	if err != nil {
		return err
	}
	rep.Finished++
	run.Status, run.EndedAt, run.Duration, run.ErrorSummary = f.Status, f.EndedAt, f.Duration, f.ErrorSummary
	w.ended(ctx, run)
	if !f.Alert {
		return nil
	}
	run.AlertPending = true
	return w.alertAndClose(ctx, run, rep)
}

// alertAndClose sends a failed run's alert (or counts it into the row's
// group) and then takes the run out of the open index. Should the topic
// fail, the run stays open with its alert pending, and the next round
// sends it.
func (w *Watcher) alertAndClose(ctx context.Context, run ledger.Run, rep *Report) error {
	now := w.cfg.Clock.Now()
	if err := w.cfg.Ledger.TakeAlert(ctx, run, now); errors.Is(err, ledger.ErrNotOpen) {
		// Another watcher sends it.
		return nil
	} else if err != nil {
		return err
	}
	d, err := w.cfg.Ledger.GroupAlert(ctx, run.Key, now)
	if err != nil {
		return err
	}
	if d.Send {
		var heldBack []string
		if w.cfg.Chains != nil && run.Row != "" {
			heldBack = w.cfg.Chains.HeldBack(run.Row)
		}
		if err := w.publish(ctx, failureAlert(w.cfg.Environment, run, d, heldBack)); err != nil {
			return fmt.Errorf("alert the failure of %s: %w", run.Key, err)
		}
		rep.Alerts++
	}
	if err := w.cfg.Ledger.AlertSent(ctx, run); err != nil && !errors.Is(err, ledger.ErrNotOpen) {
		return err
	}
	return nil
}

// backoff is the pause after a run's checks-th check: 1, 2, 4, 8 and then
// 10 minutes.
func backoff(checks int) time.Duration {
	d := time.Minute << min(max(checks, 0), 8)
	return min(d, maxBackoff)
}

// runStart is when the run's reload started, as the ledger knows it.
func runStart(run ledger.Run) time.Time {
	if !run.StartedAt.IsZero() {
		return run.StartedAt
	}
	return run.ScheduledTime
}

// duration is how long a reload ran: from leaving Qlik's queue (or, if it
// never did, from its creation) to its end.
func duration(rl *qlik.Reload, now time.Time) time.Duration {
	from := rl.StartTime.Time
	if from.IsZero() {
		from = rl.CreationTime.Time
	}
	to := rl.EndTime.Time
	if to.IsZero() {
		to = now
	}
	if from.IsZero() || to.Before(from) {
		return 0
	}
	return to.Sub(from)
}

// ended logs and counts a run's end.
func (w *Watcher) ended(ctx context.Context, run ledger.Run) {
	attrs := []any{"row", run.Row, "appId", run.AppID, "scheduledTime", run.SK(), "reloadId", run.ReloadID,
		"status", run.Status, "durationMs", run.Duration.Milliseconds()}
	level := slog.LevelInfo
	if run.ErrorSummary != "" {
		attrs = append(attrs, "errorSummary", run.ErrorSummary)
		level = slog.LevelError
	}
	w.cfg.Logger.Log(ctx, level, "reload ended", attrs...)
	if w.cfg.Metrics == nil {
		return
	}
	var ok, failed, canceled, unknown float64
	switch qlik.Status(run.Status) {
	case qlik.StatusSucceeded:
		ok = 1
	case qlik.StatusFailed, qlik.StatusExceededLimit:
		failed = 1
	case qlik.StatusCanceled:
		canceled = 1
	default:
		unknown = 1
	}
	metrics := []emf.Metric{
		{Name: MetricRunsSucceeded, Unit: emf.Count, Value: ok},
		{Name: MetricRunsFailed, Unit: emf.Count, Value: failed},
		{Name: MetricRunsCanceled, Unit: emf.Count, Value: canceled},
		{Name: MetricRunsUnknown, Unit: emf.Count, Value: unknown},
	}
	if unknown == 0 {
		metrics = append(metrics, emf.Metric{Name: MetricRunDuration, Unit: emf.Milliseconds, Value: float64(run.Duration.Milliseconds())})
	}
	props := map[string]any{"row": run.Row, "appId": run.AppID, "reloadId": run.ReloadID, "status": run.Status, "scheduledTime": run.SK()}
	if err := w.cfg.Metrics.Write(metrics, props); err != nil {
		w.cfg.Logger.WarnContext(ctx, "could not write metrics", "error", err.Error())
	}
}

func (w *Watcher) writeRoundMetrics(rep Report) {
	if w.cfg.Metrics == nil {
		return
	}
	var limited float64
	if rep.RateLimited {
		limited = 1
	}
	_ = w.cfg.Metrics.Write([]emf.Metric{
		{Name: MetricWatchReads, Unit: emf.Count, Value: float64(rep.Reads)},
		{Name: MetricWatchRateLimited, Unit: emf.Count, Value: limited},
		{Name: MetricRunsOverdue, Unit: emf.Count, Value: float64(rep.Overdue)},
	}, map[string]any{"due": rep.Due, "finished": rep.Finished, "alerts": rep.Alerts})
}
