package runs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

// Error kinds of a direct invocation that the reload handler does not
// have.
const (
	// KindLedgerUnavailable: the run could not be claimed in the ledger,
	// so nothing was started.
	KindLedgerUnavailable reload.Kind = "LedgerUnavailable"
	// KindRunInProgress: another invocation is starting the same run.
	KindRunInProgress reload.Kind = "RunInProgress"
)

// HandleDirect handles a direct invocation: {"appId": "..."} with the
// event's optional members, and optionally the row it stands for and a
// scheduledTime. The run is keyed by the row (or, without one, the app)
// and the scheduledTime (or, without one, the invocation's time, to the
// millisecond, so that each invocation is a run of its own). It returns the reload handler's result, or an *reload.Error
// when no reload was created or found, as before runs were recorded.
func (c *Consumer) HandleDirect(ctx context.Context, payload []byte) (reload.Result, error) {
	msg, err := DecodeMessage(payload, false)
	if err != nil {
		e := &reload.Error{Kind: reload.KindInvalidEvent, Message: err.Error() + "; fix the invocation's event", Err: err}
		c.logger.ErrorContext(ctx, "reload not started", "errorType", string(e.Kind), "error", e.Message)
		c.writeFailure(ctx, e.Kind)
		return reload.Result{}, e
	}
	if msg.ScheduledTime.IsZero() {
		msg.ScheduledTime = c.clock.Now().UTC().Truncate(time.Millisecond)
	}
	key := runKey(msg)
	app := msg.Event.AppID
	claim, err := c.ledger.Claim(ctx, ledger.ClaimRequest{Key: key, LeaseUntil: c.leaseUntil(ctx), TimeZone: msg.TimeZone})
	if err != nil {
		e := &reload.Error{Kind: KindLedgerUnavailable, AppID: app, Err: err,
			Message: fmt.Sprintf("reload of app %s not started: the run could not be recorded in the ledger (%v); check the table named by QLIK_LEDGER_TABLE and the function's access to it", app, err)}
		c.logger.ErrorContext(ctx, "reload not started", "appId", app, "errorType", string(e.Kind), "error", e.Message)
		c.writeFailure(ctx, e.Kind)
		return reload.Result{}, e
	}
	switch claim.State {
	case ledger.ClaimStarted:
		run := claim.Run
		res := reload.Result{AppID: app, ReloadID: run.ReloadID, Status: statusOf(run), Created: false,
			Detail: "the ledger already records this run's reload (" + key.String() + "); nothing was started"}
		if !run.StartedAt.IsZero() {
			res.CreationTime = run.StartedAt.UTC().Format(time.RFC3339Nano)
		}
		c.logger.InfoContext(ctx, "run already handled; nothing started", "appId", app, "row", msg.Row,
			"scheduledTime", key.SK(), "reloadId", run.ReloadID)
		return res, nil
	case ledger.ClaimHeld, ledger.ClaimDeadLettered:
		e := &reload.Error{Kind: KindRunInProgress, AppID: app,
			Message: fmt.Sprintf("reload of app %s not started: another invocation is handling the same run (%s) until %s; its result is the run's",
				app, key, claim.Run.LeaseUntil.UTC().Format(time.RFC3339))}
		c.logger.ErrorContext(ctx, "reload not started", "appId", app, "errorType", string(e.Kind), "error", e.Message)
		return reload.Result{}, e
	}
	var since time.Time
	if claim.State == ledger.ClaimUnresolved {
		since = claim.Run.UnsettledSince
	}
	res, err := c.direct.StartRun(ctx, msg.Event, reload.RunOptions{AdoptSince: since})
	if err != nil {
		kind := kindOf(err)
		c.recordFailure(ctx, key, ledger.Failure{ErrorType: string(kind), Settled: needsPerson(kind)})
		return reload.Result{}, err
	}
	if err := c.ledger.RecordStart(ctx, key, c.startOf(res)); err != nil {
		// The reload exists: the invocation succeeds. The run stays
		// claimed without it until its lease ends.
		c.logger.ErrorContext(ctx, "the reload started but could not be recorded in the ledger", "appId", app,
			"row", msg.Row, "scheduledTime", key.SK(), "reloadId", res.ReloadID, "error", err.Error())
	}
	return res, nil
}

func statusOf(run ledger.Run) qlik.Status {
	if run.Status == ledger.StatusPending {
		return ""
	}
	return qlik.Status(run.Status)
}

// writeFailure counts a direct invocation that failed before the reload
// handler saw it, as the handler counts its own failures.
func (c *Consumer) writeFailure(ctx context.Context, kind reload.Kind) {
	if c.metrics == nil {
		return
	}
	err := c.metrics.Write([]emf.Metric{{Name: reload.MetricTriggerFailures, Unit: emf.Count, Value: 1}},
		map[string]any{"errorType": string(kind)})
	if err != nil && !errors.Is(err, context.Canceled) {
		c.logger.WarnContext(ctx, "could not write metrics", "error", err.Error())
	}
}
