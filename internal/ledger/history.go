package ledger

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The index "history" lists the runs of every row by day, newest first:
// partition key runDay (the scheduled time's UTC date, written on every
// run), sort key scheduledTime. Listing a row's runs needs no index (its
// partition holds them in order); listing across rows would otherwise scan
// the table.
const (
	AttrRunDay   = "runDay"
	IndexHistory = "history"
)

func runDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// HistoryFilter selects runs for History.
type HistoryFilter struct {
	// Since is the earliest scheduled time listed. Required.
	Since time.Time
	// Until is the latest; zero means now.
	Until time.Time
	// Row limits the list to one row when set.
	Row string
	// FailedOnly keeps the runs that did not succeed and were not
	// canceled: FAILED, EXCEEDED_LIMIT, UNKNOWN and DEAD_LETTERED.
	FailedOnly bool
}

// failedStatuses are the statuses FailedOnly keeps.
var failedStatuses = []string{"FAILED", "EXCEEDED_LIMIT", StatusUnknown, StatusDeadLettered}

// History lists runs scheduled within the filter's window, newest first.
// With a row, it queries that row's partition; without one, the index
// "history", one day at a time.
func (l *Ledger) History(ctx context.Context, f HistoryFilter) ([]Run, error) {
	until := f.Until
	if until.IsZero() {
		until = l.clock.Now()
	}
	if f.Since.IsZero() || f.Since.After(until) {
		return nil, fmt.Errorf("ledger: history from %s to %s: not a window", f.Since, until)
	}
	values := map[string]types.AttributeValue{
		":from": str(formatScheduled(f.Since.Truncate(time.Second))),
		":to":   str(formatScheduled(until) + "~"), // after any fraction of that second
	}
	var filter *string
	if f.FailedOnly {
		expr := "#status IN ("
		for i, s := range failedStatuses {
			name := fmt.Sprintf(":f%d", i)
			values[name] = str(s)
			if i > 0 {
				expr += ", "
			}
			expr += name
		}
		filter = aws.String(expr + ")")
	}
	var names map[string]string
	if filter != nil {
		names = map[string]string{"#status": AttrStatus}
	}
	query := func(in *dynamodb.QueryInput) ([]Run, error) {
		in.TableName = aws.String(l.table)
		in.FilterExpression = filter
		in.ExpressionAttributeNames = names
		in.ScanIndexForward = aws.Bool(false)
		var out []Run
		for {
			page, err := l.db.Query(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, it := range page.Items {
				run, err := decodeRun(it)
				if err != nil {
					return nil, err
				}
				out = append(out, run)
			}
			if len(page.LastEvaluatedKey) == 0 {
				return out, nil
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
	}
	if f.Row != "" {
		v := copyValues(values)
		v[":pk"] = str(Key{Row: f.Row}.PK())
		runs, err := query(&dynamodb.QueryInput{
			KeyConditionExpression:    aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
			ExpressionAttributeValues: v,
		})
		if err != nil {
			return nil, fmt.Errorf("ledger: history of row %s: %w", f.Row, err)
		}
		return runs, nil
	}
	var all []Run
	for day := until.UTC().Truncate(24 * time.Hour); !day.Before(f.Since.UTC().Truncate(24 * time.Hour)); day = day.Add(-24 * time.Hour) {
		v := copyValues(values)
		v[":day"] = str(runDay(day))
		runs, err := query(&dynamodb.QueryInput{
			IndexName:                 aws.String(IndexHistory),
			KeyConditionExpression:    aws.String("runDay = :day AND scheduledTime BETWEEN :from AND :to"),
			ExpressionAttributeValues: v,
		})
		if err != nil {
			return nil, fmt.Errorf("ledger: history of %s: %w", runDay(day), err)
		}
		all = append(all, runs...)
	}
	// Within a second, keep an order that does not depend on the index.
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].ScheduledTime.Equal(all[j].ScheduledTime) {
			return all[i].ScheduledTime.After(all[j].ScheduledTime)
		}
		return all[i].PK() < all[j].PK()
	})
	return all, nil
}

func copyValues(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
