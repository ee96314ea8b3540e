package ledger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attributes the watcher writes on a run while it follows the run's reload
// to its end.
const (
	AttrChecks       = "checks"
	AttrNextCheckAt  = "nextCheckAt"
	AttrEndedAt      = "endedAt"
	AttrDurationMs   = "durationMs"
	AttrErrorSummary = "errorSummary"
	AttrOverdueAt    = "overdueAt"
	AttrAlertPending = "alertPending"
)

// StatusUnknown is the final status of a run whose reload Qlik no longer
// knows (its app was deleted): its ErrorSummary says why.
const StatusUnknown = "UNKNOWN"

// Outcome is what the watcher records of a run's reload.
type Outcome struct {
	// Checks counts the watcher's reads of the reload.
	Checks int
	// NextCheckAt is when the watcher reads the reload next; zero means at
	// once.
	NextCheckAt time.Time
	// EndedAt is when the reload ended (Qlik's endTime); zero while it
	// runs.
	EndedAt time.Time
	// Duration is how long the reload ran, from leaving Qlik's queue to
	// its end.
	Duration time.Duration
	// ErrorSummary is, for FAILED and EXCEEDED_LIMIT, the last meaningful
	// lines of the reload's log; for UNKNOWN, the reason.
	ErrorSummary string
	// OverdueAt is when the run was flagged as still unfinished after its
	// bound; zero when it was not.
	OverdueAt time.Time
	// AlertPending says that the run failed and its alert is not sent
	// yet: it stays in the open index until it is.
	AlertPending bool
}

// Due lists the open runs with a reload whose next check is due at now,
// oldest scheduled time first, at most limit of them. It queries each
// shard of the sparse index "open" (never the table) and merges them.
func (l *Ledger) Due(ctx context.Context, now time.Time, limit int) ([]Run, error) {
	if limit <= 0 {
		return nil, nil
	}
	var all []Run
	for _, shard := range OpenShardValues() {
		runs, err := l.dueInShard(ctx, shard, now, limit)
		if err != nil {
			return nil, err
		}
		all = append(all, runs...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].ScheduledTime.Equal(all[j].ScheduledTime) {
			return all[i].ScheduledTime.Before(all[j].ScheduledTime)
		}
		return all[i].PK() < all[j].PK()
	})
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

func (l *Ledger) dueInShard(ctx context.Context, shard string, now time.Time, limit int) ([]Run, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(l.table),
		IndexName:              aws.String(IndexOpen),
		KeyConditionExpression: aws.String("openShard = :shard"),
		// Runs without a reload belong to the start path; the rest wait
		// for their next check.
		FilterExpression: aws.String("attribute_exists(reloadId) AND (attribute_not_exists(nextCheckAt) OR nextCheckAt <= :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":shard": str(shard),
			":now":   str(formatTime(now)),
		},
		ScanIndexForward: aws.Bool(true),
	}
	var out []Run
	for {
		page, err := l.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ledger: query the open runs of %s: %w", shard, err)
		}
		for _, it := range page.Items {
			run, err := decodeRun(it)
			if err != nil {
				return nil, fmt.Errorf("ledger: query the open runs of %s: %w", shard, err)
			}
			out = append(out, run)
			if len(out) == limit {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// ErrNotOpen is returned by the watcher's writes when the run is no
// longer open for that reload: another watcher recorded its end first, or
// it records another reload.
var ErrNotOpen = errors.New("ledger: the run is no longer open for this reload")

// openCondition holds while the run is open and records reloadID.
const openCondition = "attribute_exists(openShard) AND reloadId = :rid"

// RecordCheck records a check that found the reload still active: its
// status, and when to check next. It holds only while the run has the
// count of checks it was read with, so that of two watchers that checked
// it in the same minute only one counts (and the run's backoff does not
// grow twice as fast); the other gets ErrNotOpen.
func (l *Ledger) RecordCheck(ctx context.Context, run Run, status string, next time.Time) error {
	seen := "checks = :seen"
	if run.Checks == 0 {
		seen = "(attribute_not_exists(checks) OR checks = :seen)"
	}
	return l.update(ctx, run, "record check",
		"SET #status = :status, nextCheckAt = :next ADD checks :one",
		openCondition+" AND attribute_not_exists(alertPending) AND "+seen,
		map[string]types.AttributeValue{":status": str(status), ":next": str(formatTime(next)), ":one": num(1), ":seen": num(int64(run.Checks))})
}

// Final is the end of a run's reload.
type Final struct {
	Status       string
	EndedAt      time.Time
	Duration     time.Duration
	ErrorSummary string
	// Alert says that the run's failure must be alerted: the run stays in
	// the open index, AlertPending, until AlertSent.
	Alert bool
}

// RecordFinal records the reload's end, once: it succeeds only for the
// first writer while the run is open, and returns ErrNotOpen to any later
// one, so that a run reaches its final status exactly once and only that
// writer counts and alerts it.
func (l *Ledger) RecordFinal(ctx context.Context, run Run, f Final) error {
	if !FinalStatus(f.Status) {
		return fmt.Errorf("ledger: record final status of %s: %q is not a final status", run.Key, f.Status)
	}
	sets := []string{"#status = :status", "durationMs = :dur"}
	values := map[string]types.AttributeValue{
		":status": str(f.Status), ":dur": num(f.Duration.Milliseconds()), ":one": num(1),
	}
	if !f.EndedAt.IsZero() {
		sets = append(sets, "endedAt = :ended")
		values[":ended"] = str(formatTime(f.EndedAt))
	}
	if f.ErrorSummary != "" {
		sets = append(sets, "errorSummary = :summary")
		values[":summary"] = str(f.ErrorSummary)
	}
	remove := " REMOVE openShard, nextCheckAt"
	if f.Alert {
		sets = append(sets, "alertPending = :pending")
		values[":pending"] = str(formatTime(l.clock.Now()))
		remove = " REMOVE nextCheckAt"
	}
	expr := "SET " + strings.Join(sets, ", ") + " ADD checks :one" + remove
	return l.update(ctx, run, "record final status "+f.Status, expr,
		openCondition+" AND attribute_not_exists(alertPending)", values)
}

// alertLease is how long a watcher that took a run's pending alert has to
// send it before another watcher may take it.
const alertLease = 2 * time.Minute

// TakeAlert takes a failed run's pending alert for one watcher: only the
// taker groups and sends it, so that two watchers that overlap neither
// send it twice nor count it twice into its row's group. A watcher that
// dies holding it loses it after two minutes. Another holder, or a run
// already closed, is ErrNotOpen.
func (l *Ledger) TakeAlert(ctx context.Context, run Run, now time.Time) error {
	return l.update(ctx, run, "take the alert", "SET alertTakenUntil = :until",
		openCondition+" AND attribute_exists(alertPending) AND (attribute_not_exists(alertTakenUntil) OR alertTakenUntil < :now)",
		map[string]types.AttributeValue{":until": str(formatTime(now.Add(alertLease))), ":now": str(formatTime(now))})
}

// AlertSent closes a failed run once its alert is sent: it leaves the
// open index. Only the first caller succeeds; later ones get ErrNotOpen.
func (l *Ledger) AlertSent(ctx context.Context, run Run) error {
	return l.update(ctx, run, "record alert", "REMOVE alertPending, alertTakenUntil, openShard",
		openCondition+" AND attribute_exists(alertPending)", map[string]types.AttributeValue{})
}

// FlagOverdue flags a run still unfinished after its bound, once: it
// returns ErrNotOpen when the run was flagged already or is no longer
// open.
func (l *Ledger) FlagOverdue(ctx context.Context, run Run, at time.Time) error {
	return l.update(ctx, run, "flag overdue", "SET overdueAt = :at",
		openCondition+" AND attribute_not_exists(overdueAt)",
		map[string]types.AttributeValue{":at": str(formatTime(at))})
}

func (l *Ledger) update(ctx context.Context, run Run, what, expr, cond string, values map[string]types.AttributeValue) error {
	values[":rid"] = str(run.ReloadID)
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.table),
		Key:                       keyOf(run.Key),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: values,
	}
	if strings.Contains(expr, "#status") {
		in.ExpressionAttributeNames = map[string]string{"#status": AttrStatus}
	}
	_, err := l.db.UpdateItem(ctx, in)
	if conditionFailed(err) {
		return fmt.Errorf("ledger: %s of %s (reload %s): %w", what, run.Key, run.ReloadID, ErrNotOpen)
	}
	if err != nil {
		return fmt.Errorf("ledger: %s of %s (reload %s): %w", what, run.Key, run.ReloadID, err)
	}
	return nil
}

// Alert grouping: one item per row, pk = alert#<row>, sk = "state".
const (
	alertSK          = "state"
	attrLastAlertAt  = "lastAlertAt"
	attrSuppressed   = "suppressed"
	alertGroupWindow = time.Hour
)

// AlertDecision says whether a failure is alerted now.
type AlertDecision struct {
	// Send is true when this failure's alert is sent: the row had no
	// alert within the hour.
	Send bool
	// Grouped is how many failures of the row since Since were not
	// alerted (held back within an hour of the last alert); they are
	// named in this alert.
	Grouped int
	// Since is when the row's last alert was sent; zero for a first one.
	Since time.Time
}

// GroupAlert decides whether the failure of a row at now is alerted: the
// first failure of a row within an hour is, and the others within that
// hour are counted, so that a row failing every five minutes sends one
// message an hour with the count of the ones in between. A run without a
// row is grouped by its app.
func (l *Ledger) GroupAlert(ctx context.Context, key Key, now time.Time) (AlertDecision, error) {
	pk := "alert#" + key.PK()
	itemKey := map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(alertSK)}
	out, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(l.table),
		Key:                 itemKey,
		UpdateExpression:    aws.String("SET lastAlertAt = :now, suppressed = :zero, expiresAt = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(lastAlertAt) OR lastAlertAt <= :cut"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": str(formatTime(now)), ":zero": num(0), ":cut": str(formatTime(now.Add(-alertGroupWindow))),
			":exp": num(now.Add(l.history).Unix()),
		},
		ReturnValues: types.ReturnValueAllOld,
	})
	if err == nil {
		d := AlertDecision{Send: true}
		if v, ok := out.Attributes[attrSuppressed].(*types.AttributeValueMemberN); ok {
			d.Grouped, _ = strconv.Atoi(v.Value)
		}
		if v, ok := out.Attributes[attrLastAlertAt].(*types.AttributeValueMemberS); ok {
			d.Since, _ = time.Parse(time.RFC3339Nano, v.Value)
		}
		return d, nil
	}
	if !conditionFailed(err) {
		return AlertDecision{}, fmt.Errorf("ledger: group the alert of %s: %w", key, err)
	}
	_, err = l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.table),
		Key:                       itemKey,
		UpdateExpression:          aws.String("ADD suppressed :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
	})
	if err != nil {
		return AlertDecision{}, fmt.Errorf("ledger: count the held-back alert of %s: %w", key, err)
	}
	return AlertDecision{}, nil
}
