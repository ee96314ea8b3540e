package watch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

// alert is one message to the alarm topic.
type alert struct {
	subject string
	body    string
}

// maxSubject is SNS's limit for an email subject.
const maxSubject = 100

func (w *Watcher) publish(ctx context.Context, a alert) error {
	_, err := w.cfg.Alerts.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(w.cfg.TopicARN),
		Subject:  aws.String(truncate(a.subject, maxSubject)),
		Message:  aws.String(a.body),
	})
	if err != nil {
		return fmt.Errorf("publish to %s: %w", w.cfg.TopicARN, err)
	}
	return nil
}

// RowName names a run's row in messages: the row, or for a direct
// invocation that named none, the app.
func RowName(run ledger.Run) string {
	if run.Row != "" {
		return run.Row
	}
	return "(app " + run.AppID + ")"
}

// ScheduledIn writes a run's scheduled time in its row's time zone, with
// the zone's abbreviation and name, such as "2026-12-01 08:00:00 CET
// (Europe/Stockholm)". A run without a zone, or with one this build does
// not know, is written in UTC.
func ScheduledIn(run ledger.Run) string {
	loc := time.UTC
	if run.TimeZone != "" {
		if l, err := time.LoadLocation(run.TimeZone); err == nil {
			loc = l
		}
	}
	t := run.ScheduledTime.In(loc)
	return t.Format("2006-01-02 15:04:05 MST") + " (" + loc.String() + ")"
}

// failureAlert is the message of a failed run: it names the environment,
// the row, the app, the scheduled time in the row's zone, the status, the
// duration and the error summary, the failures of the row it groups, and
// the rows after it that it holds back.
func failureAlert(env string, run ledger.Run, d ledger.AlertDecision, heldBack []string) alert {
	var b strings.Builder
	fmt.Fprintf(&b, "A Qlik reload of environment %s ended %s.\n\n", env, run.Status)
	field := func(name, value string) { fmt.Fprintf(&b, "%-15s %s\n", name+":", value) }
	field("Environment", env)
	field("Row", RowName(run))
	field("App", run.AppID)
	field("Scheduled", ScheduledIn(run))
	field("Status", run.Status)
	field("Duration", run.Duration.Round(time.Second).String())
	field("Reload", run.ReloadID)
	if d.Grouped > 0 {
		field("Grouped", fmt.Sprintf("%d more failure(s) of this row since the last alert at %s were not sent one by one",
			d.Grouped, d.Since.UTC().Format(time.RFC3339)))
	}
	if len(heldBack) > 0 {
		field("Held back", fmt.Sprintf("%s (they start only after %s SUCCEEDED)", strings.Join(heldBack, ", "), run.Row))
	}
	if run.ErrorSummary != "" {
		b.WriteString("\nError summary (the end of the reload's log):\n")
		for _, line := range strings.Split(run.ErrorSummary, "\n") {
			b.WriteString("  " + line + "\n")
		}
	}
	history := "make history ENV=" + env + " FAILED=1"
	if run.Row != "" {
		history = "make history ENV=" + env + " ROW=" + run.Row
	}
	fmt.Fprintf(&b, "\nFurther failures of this row within an hour are counted into its next alert. History: %s\n", history)
	subject := fmt.Sprintf("[%s] %s %s", env, RowName(run), run.Status)
	if d.Grouped > 0 {
		subject = fmt.Sprintf("[%s] %s %s (and %d more)", env, RowName(run), run.Status, d.Grouped)
	}
	return alert{subject: subject, body: b.String()}
}

// overdue alerts a run flagged overdue, once.
func (w *Watcher) overdue(ctx context.Context, run ledger.Run, status string, now time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "A Qlik reload of environment %s has not ended after %s; the watcher keeps following it.\n\n",
		w.cfg.Environment, w.cfg.MaxRun)
	field := func(name, value string) { fmt.Fprintf(&b, "%-15s %s\n", name+":", value) }
	field("Environment", w.cfg.Environment)
	field("Row", RowName(run))
	field("App", run.AppID)
	field("Scheduled", ScheduledIn(run))
	field("Status", status)
	field("Running for", now.Sub(runStart(run)).Round(time.Minute).String())
	field("Reload", run.ReloadID)
	w.cfg.Logger.ErrorContext(ctx, "reload overdue", "row", run.Row, "appId", run.AppID, "scheduledTime", run.SK(),
		"reloadId", run.ReloadID, "status", status)
	err := w.publish(ctx, alert{subject: fmt.Sprintf("[%s] %s OVERDUE", w.cfg.Environment, RowName(run)), body: b.String()})
	if err != nil {
		return fmt.Errorf("alert the overdue run %s: %w", run.Key, err)
	}
	return nil
}
