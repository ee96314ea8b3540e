package ledger

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A row that runs after other rows (a chain's downstream row) has one item
// of its own, beside its runs: pk chain#<row>, sk upstreams. It holds, for
// each upstream row, the scheduled time of its latest run that SUCCEEDED
// since the downstream row last started (attribute ready:<upstream>), and
// the one its last start used (used:<upstream>). The downstream row starts
// when every upstream has a ready time; the start moves them to used, so
// that a success is never counted for two starts and a retried record of
// an old success cannot start the row again.

// Prefixes of the chain item's keys and attributes.
const (
	chainPKPrefix = "chain#"
	chainSK       = "upstreams"
	readyPrefix   = "ready:"
	usedPrefix    = "used:"
)

func chainKey(downstream string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(chainPKPrefix + downstream), AttrSK: str(chainSK)}
}

// RecordUpstream records that a run of upstream scheduled at t SUCCEEDED,
// for the row downstream that runs after it, and returns every upstream's
// ready time since downstream's last start. A success no newer than the
// one already recorded, or than the one downstream's last start used,
// changes nothing; the ready times are returned all the same, so that a
// caller that failed after recording can finish what it started.
func (l *Ledger) RecordUpstream(ctx context.Context, downstream, upstream string, t time.Time) (map[string]time.Time, error) {
	// Always with milliseconds, so that the times compare as text.
	at := formatTime(t)
	out, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      chainKey(downstream),
		UpdateExpression:         aws.String("SET #ready = :t"),
		ConditionExpression:      aws.String("(attribute_not_exists(#ready) OR #ready < :t) AND (attribute_not_exists(#used) OR #used < :t)"),
		ExpressionAttributeNames: map[string]string{"#ready": readyPrefix + upstream, "#used": usedPrefix + upstream},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": str(at),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	switch {
	case conditionFailed(err):
		return l.readyUpstreams(ctx, downstream)
	case err != nil:
		return nil, fmt.Errorf("ledger: record that %s succeeded at %s, for %s: %w", upstream, at, downstream, err)
	}
	return readyTimes(out.Attributes)
}

// UseUpstreams records that downstream started on the given ready times:
// each moves from ready to used, unless a newer success of that upstream
// was recorded meanwhile, which then stays ready for the next start.
func (l *Ledger) UseUpstreams(ctx context.Context, downstream string, used map[string]time.Time) error {
	names := make([]string, 0, len(used))
	for name := range used {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, upstream := range names {
		at := str(formatTime(used[upstream]))
		attrNames := map[string]string{"#ready": readyPrefix + upstream, "#used": usedPrefix + upstream}
		_, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(l.table),
			Key:                       chainKey(downstream),
			UpdateExpression:          aws.String("SET #used = :t REMOVE #ready"),
			ConditionExpression:       aws.String("#ready = :t"),
			ExpressionAttributeNames:  attrNames,
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": at},
		})
		if conditionFailed(err) {
			// A newer success is ready: keep it, and record only what
			// this start used.
			_, err = l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                 aws.String(l.table),
				Key:                       chainKey(downstream),
				UpdateExpression:          aws.String("SET #used = :t"),
				ConditionExpression:       aws.String("attribute_not_exists(#used) OR #used < :t"),
				ExpressionAttributeNames:  map[string]string{"#used": usedPrefix + upstream},
				ExpressionAttributeValues: map[string]types.AttributeValue{":t": at},
			})
			if conditionFailed(err) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("ledger: record that %s started after %s at %s: %w", downstream, upstream, formatScheduled(used[upstream]), err)
		}
	}
	return nil
}

// readyUpstreams reads downstream's ready times.
func (l *Ledger) readyUpstreams(ctx context.Context, downstream string) (map[string]time.Time, error) {
	out, err := l.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(l.table),
		Key:            chainKey(downstream),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: read the upstreams of %s: %w", downstream, err)
	}
	return readyTimes(out.Item)
}

// readyTimes decodes the ready attributes of a chain item.
func readyTimes(item map[string]types.AttributeValue) (map[string]time.Time, error) {
	ready := map[string]time.Time{}
	for name, v := range item {
		upstream, ok := strings.CutPrefix(name, readyPrefix)
		if !ok {
			continue
		}
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return nil, fmt.Errorf("ledger: %s is not a string", name)
		}
		t, err := time.Parse(time.RFC3339, s.Value)
		if err != nil {
			return nil, fmt.Errorf("ledger: %s: %w", name, err)
		}
		ready[upstream] = t.UTC()
	}
	return ready, nil
}
