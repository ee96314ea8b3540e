package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/dynamotest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

const appID = "116dbfae-7fb9-4983-8e23-5ccd8c508722"

var (
	scheduled = time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	start     = scheduled.Add(1500 * time.Millisecond)
)

// server is one dynalite for the package's tests; each test has a table of
// its own.
var server *dynamotest.Server

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m, &server)) }

type fixture struct {
	ledger *ledger.Ledger
	db     *dynamodb.Client
	table  string
	clock  *clock.Fake
}

func setup(t *testing.T) fixture {
	t.Helper()
	table := server.LedgerTable(t)
	clk := clock.NewFake(start)
	db := server.Client()
	l, err := ledger.New(ledger.Config{DB: db, Table: table, HistoryDays: 30, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{ledger: l, db: db, table: table, clock: clk}
}

func rowKey() ledger.Key {
	return ledger.Key{Row: "sales-intraday", AppID: appID, ScheduledTime: scheduled}
}

func claim(t *testing.T, f fixture, key ledger.Key, lease time.Duration) ledger.Claim {
	t.Helper()
	c, err := f.ledger.Claim(context.Background(), ledger.ClaimRequest{Key: key, LeaseUntil: f.clock.Now().Add(lease)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rawItem(t *testing.T, f fixture, key ledger.Key) map[string]any {
	t.Helper()
	out, err := f.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: key.PK()},
			"sk": &types.AttributeValueMemberS{Value: key.SK()},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for k, v := range out.Item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			got[k] = v.Value
		case *types.AttributeValueMemberN:
			got[k] = "N:" + v.Value
		case *types.AttributeValueMemberBOOL:
			got[k] = v.Value
		default:
			t.Fatalf("attribute %s has an unexpected type %T", k, v)
		}
	}
	return got
}

// TestItemLayout pins the item a run leaves in the table at each step, as
// the watcher and the history command will read it.
func TestItemLayout(t *testing.T) {
	f := setup(t)
	key := rowKey()
	c := claim(t, f, key, time.Minute)
	if c.State != ledger.ClaimFresh {
		t.Fatalf("first claim: state %s, want fresh", c.State)
	}
	shard := c.Run.OpenShard
	want := map[string]any{
		"pk":             "row#sales-intraday",
		"sk":             "2026-12-01T07:00:00Z",
		"appId":          appID,
		"row":            "sales-intraday",
		"scheduledTime":  "2026-12-01T07:00:00Z",
		"runDay":         "2026-12-01",
		"attempts":       "N:1",
		"status":         "CLAIMED",
		"claimedAt":      "2026-12-01T07:00:01.500Z",
		"leaseUntil":     "2026-12-01T07:01:01.500Z",
		"unsettledSince": "2026-12-01T07:00:01.500Z",
		"openShard":      shard,
		// 30 days of history after the claim.
		"expiresAt": fmt.Sprintf("N:%d", start.Add(30*24*time.Hour).Unix()),
	}
	if diff := cmp.Diff(rawItem(t, f, key), want); diff != "" {
		t.Errorf("claimed item (-got +want):\n%s", diff)
	}
	if !contains(ledger.OpenShardValues(), shard) {
		t.Errorf("openShard %q is not one of %v", shard, ledger.OpenShardValues())
	}

	f.clock.Advance(800 * time.Millisecond)
	created := start.Add(500 * time.Millisecond)
	if err := f.ledger.RecordStart(context.Background(), key, ledger.Start{
		ReloadID: "65f1c0de0000000000000001", Status: "QUEUED", Created: true, StartedAt: created,
	}); err != nil {
		t.Fatal(err)
	}
	want["reloadId"] = "65f1c0de0000000000000001"
	want["status"] = "QUEUED"
	want["created"] = true
	want["startedAt"] = "2026-12-01T07:00:02.000Z"
	delete(want, "leaseUntil")
	delete(want, "unsettledSince")
	if diff := cmp.Diff(rawItem(t, f, key), want); diff != "" {
		t.Errorf("started item (-got +want):\n%s", diff)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestClaimStates walks a run through every answer a claim can give.
func TestClaimStates(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// before prepares the run and returns the claim request to make.
		before    func(t *testing.T, f fixture) ledger.ClaimRequest
		wantState ledger.ClaimState
		check     func(t *testing.T, f fixture, c ledger.Claim)
	}{
		{
			name: "another attempt holds the run",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				claim(t, f, rowKey(), time.Minute)
				f.clock.Advance(59 * time.Second)
				return ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute)}
			},
			wantState: ledger.ClaimHeld,
			check: func(t *testing.T, f fixture, c ledger.Claim) {
				if want := start.Add(time.Minute); !c.Run.LeaseUntil.Equal(want) {
					t.Errorf("lease until %s, want %s", c.Run.LeaseUntil, want)
				}
				if c.Run.Attempts != 1 {
					t.Errorf("attempts = %d, want 1 (a held run is not claimed)", c.Run.Attempts)
				}
			},
		},
		{
			name: "an attempt died without recording: taken over once its lease ran out",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				claim(t, f, rowKey(), time.Minute)
				f.clock.Advance(6 * time.Minute)
				return ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute)}
			},
			wantState: ledger.ClaimUnresolved,
			check: func(t *testing.T, f fixture, c ledger.Claim) {
				if !c.Run.UnsettledSince.Equal(start) || !c.Run.ClaimedAt.Equal(start) {
					t.Errorf("unsettled since %s, claimed at %s; want both %s (the first claim)", c.Run.UnsettledSince, c.Run.ClaimedAt, start)
				}
				if c.Run.Attempts != 2 {
					t.Errorf("attempts = %d, want 2", c.Run.Attempts)
				}
				if want := f.clock.Now().Add(time.Minute); !c.Run.LeaseUntil.Equal(want) {
					t.Errorf("lease until %s, want %s (the new attempt's)", c.Run.LeaseUntil, want)
				}
			},
		},
		{
			name: "an attempt failed and released the run: taken over at once, still unresolved",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				claim(t, f, rowKey(), time.Minute)
				if err := f.ledger.RecordFailure(ctx, rowKey(), ledger.Failure{ErrorType: "RateLimited"}); err != nil {
					t.Fatal(err)
				}
				f.clock.Advance(time.Second)
				return ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute)}
			},
			wantState: ledger.ClaimUnresolved,
			check: func(t *testing.T, f fixture, c ledger.Claim) {
				if c.Run.LastError != "RateLimited" {
					t.Errorf("last error %q, want RateLimited", c.Run.LastError)
				}
			},
		},
		{
			name: "the run has its reload",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				claim(t, f, rowKey(), time.Minute)
				if err := f.ledger.RecordStart(ctx, rowKey(), ledger.Start{ReloadID: "r1", Status: "RELOADING", Created: false}); err != nil {
					t.Fatal(err)
				}
				return ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute)}
			},
			wantState: ledger.ClaimStarted,
			check: func(t *testing.T, f fixture, c ledger.Claim) {
				if c.Run.ReloadID != "r1" || c.Run.Created || c.Run.Status != "RELOADING" {
					t.Errorf("run = %+v, want reload r1, RELOADING, created false", c.Run)
				}
			},
		},
		{
			name: "a dead-lettered run is not taken over by a second copy of its message",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				claim(t, f, rowKey(), time.Minute)
				if err := f.ledger.RecordFailure(ctx, rowKey(), ledger.Failure{ErrorType: "TooLate", DeadLettered: true}); err != nil {
					t.Fatal(err)
				}
				return ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute)}
			},
			wantState: ledger.ClaimDeadLettered,
		},
		{
			name: "a redrive of a settled dead-lettered run is fresh and open again",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				claim(t, f, rowKey(), time.Minute)
				if err := f.ledger.RecordFailure(ctx, rowKey(), ledger.Failure{ErrorType: "AppNotFound", Settled: true, DeadLettered: true}); err != nil {
					t.Fatal(err)
				}
				if got := rawItem(t, f, rowKey()); got["openShard"] != nil || got["status"] != "DEAD_LETTERED" {
					t.Errorf("dead-lettered item = %v, want status DEAD_LETTERED and no openShard", got)
				}
				f.clock.Advance(time.Hour)
				return ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute), Redrive: true}
			},
			wantState: ledger.ClaimFresh,
			check: func(t *testing.T, f fixture, c ledger.Claim) {
				if c.Run.Status != ledger.StatusClaimed || c.Run.OpenShard == "" || c.Run.Attempts != 2 {
					t.Errorf("run = %+v, want CLAIMED, open, attempt 2", c.Run)
				}
			},
		},
		{
			name: "a redrive of a run that may have a reload resolves it",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				claim(t, f, rowKey(), time.Minute)
				if err := f.ledger.RecordFailure(ctx, rowKey(), ledger.Failure{ErrorType: "TooLate", DeadLettered: true}); err != nil {
					t.Fatal(err)
				}
				return ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute), Redrive: true}
			},
			wantState: ledger.ClaimUnresolved,
		},
		{
			name: "a direct invocation is keyed by its app",
			before: func(t *testing.T, f fixture) ledger.ClaimRequest {
				return ledger.ClaimRequest{Key: ledger.Key{AppID: appID, ScheduledTime: start}, LeaseUntil: f.clock.Now().Add(time.Minute)}
			},
			wantState: ledger.ClaimFresh,
			check: func(t *testing.T, f fixture, c ledger.Claim) {
				got := rawItem(t, f, c.Run.Key)
				if got["pk"] != "app#"+appID || got["sk"] != "2026-12-01T07:00:01.500Z" || got["row"] != nil {
					t.Errorf("item keys = %v %v row %v, want app#%s, the invocation's time, no row", got["pk"], got["sk"], got["row"], appID)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			req := tt.before(t, f)
			c, err := f.ledger.Claim(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if c.State != tt.wantState {
				t.Fatalf("state %s, want %s (run %+v)", c.State, tt.wantState, c.Run)
			}
			if tt.check != nil {
				tt.check(t, f, c)
			}
		})
	}
}

// TestConcurrentClaims: of many attempts that claim the same run at once,
// exactly one gets it.
func TestConcurrentClaims(t *testing.T) {
	f := setup(t)
	const n = 16
	states := make([]ledger.ClaimState, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := f.ledger.Claim(context.Background(), ledger.ClaimRequest{Key: rowKey(), LeaseUntil: f.clock.Now().Add(time.Minute)})
			if err != nil {
				t.Error(err)
				return
			}
			states[i] = c.State
		})
	}
	wg.Wait()
	fresh := 0
	for _, s := range states {
		switch s {
		case ledger.ClaimFresh:
			fresh++
		case ledger.ClaimHeld:
		default:
			t.Errorf("state %s, want fresh or held", s)
		}
	}
	if fresh != 1 {
		t.Errorf("%d fresh claims, want exactly 1", fresh)
	}
}

// TestRecordStart: recording the same reload again is harmless, another
// one is refused, and a final status takes the run out of the open index.
func TestRecordStart(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	key := rowKey()
	claim(t, f, key, time.Minute)
	first := ledger.Start{ReloadID: "r1", Status: "QUEUED", Created: true}
	if err := f.ledger.RecordStart(ctx, key, first); err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.RecordStart(ctx, key, first); err != nil {
		t.Errorf("recording the same reload again: %v", err)
	}
	err := f.ledger.RecordStart(ctx, key, ledger.Start{ReloadID: "r2", Status: "QUEUED", Created: true})
	var conflict *ledger.ConflictError
	if !errors.As(err, &conflict) || conflict.Recorded != "r1" {
		t.Errorf("recording another reload: error %v, want a conflict naming r1", err)
	}
	if err := f.ledger.RecordFailure(ctx, key, ledger.Failure{ErrorType: "TenantUnavailable"}); !errors.Is(err, ledger.ErrStarted) {
		t.Errorf("recording a failure after the start: %v, want ErrStarted", err)
	}

	other := ledger.Key{Row: "finance", AppID: appID, ScheduledTime: scheduled}
	claim(t, f, other, time.Minute)
	if err := f.ledger.RecordStart(ctx, other, ledger.Start{ReloadID: "r3", Status: "SUCCEEDED", Created: true}); err != nil {
		t.Fatal(err)
	}
	if got := rawItem(t, f, other); got["openShard"] != nil {
		t.Errorf("a run recorded SUCCEEDED keeps openShard %v", got["openShard"])
	}
	if err := f.ledger.RecordStart(ctx, ledger.Key{Row: "never-claimed", ScheduledTime: scheduled}, first); err == nil {
		t.Error("recording the reload of a run never claimed succeeded")
	}
}

// TestOpenIndex: the index "open" lists exactly the runs without a final
// status, oldest first per shard.
func TestOpenIndex(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	rows := []string{"a", "b", "c", "d", "e", "f"}
	for i, row := range rows {
		key := ledger.Key{Row: row, AppID: appID, ScheduledTime: scheduled.Add(time.Duration(i) * time.Minute)}
		claim(t, f, key, time.Minute)
		switch row {
		case "b":
			if err := f.ledger.RecordStart(ctx, key, ledger.Start{ReloadID: "rb", Status: "FAILED", Created: true}); err != nil {
				t.Fatal(err)
			}
		case "c":
			if err := f.ledger.RecordFailure(ctx, key, ledger.Failure{ErrorType: "AppNotFound", Settled: true, DeadLettered: true}); err != nil {
				t.Fatal(err)
			}
		case "d":
			if err := f.ledger.RecordStart(ctx, key, ledger.Start{ReloadID: "rd", Status: "RELOADING", Created: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var open []string
	for _, shard := range ledger.OpenShardValues() {
		out, err := f.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(f.table),
			IndexName:                 aws.String(ledger.IndexOpen),
			KeyConditionExpression:    aws.String("openShard = :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: shard}},
		})
		if err != nil {
			t.Fatal(err)
		}
		last := ""
		for _, it := range out.Items {
			row := it["row"].(*types.AttributeValueMemberS).Value
			at := it["scheduledTime"].(*types.AttributeValueMemberS).Value
			if at < last {
				t.Errorf("shard %s: %s listed after a later run", shard, at)
			}
			last = at
			open = append(open, row)
		}
	}
	if diff := cmp.Diff(sorted(open), []string{"a", "d", "e", "f"}); diff != "" {
		t.Errorf("open runs (-got +want):\n%s", diff)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestBadRequests: a claim that cannot be written says why.
func TestBadRequests(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	tests := []struct {
		name string
		req  ledger.ClaimRequest
	}{
		{"no row or app", ledger.ClaimRequest{Key: ledger.Key{ScheduledTime: scheduled}, LeaseUntil: start.Add(time.Minute)}},
		{"no time", ledger.ClaimRequest{Key: ledger.Key{Row: "a", AppID: appID}, LeaseUntil: start.Add(time.Minute)}},
		{"lease in the past", ledger.ClaimRequest{Key: rowKey(), LeaseUntil: start.Add(-time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.ledger.Claim(ctx, tt.req); err == nil {
				t.Error("claim succeeded")
			}
		})
	}
}
