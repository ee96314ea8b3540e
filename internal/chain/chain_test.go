package chain_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/dynamotest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

const startURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/start"

var server *dynamotest.Server

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m, &server)) }

// queue records the messages sent; fail makes the next sends fail.
type queue struct {
	mu   sync.Mutex
	sent []string
	fail int
}

func (q *queue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if aws.ToString(in.QueueUrl) != startURL {
		return nil, fmt.Errorf("sent to %s, not the start queue", aws.ToString(in.QueueUrl))
	}
	if q.fail > 0 {
		q.fail--
		return nil, errors.New("SQS is unavailable")
	}
	q.sent = append(q.sent, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{}, nil
}

func message(row string) string {
	return `{"appId":"116dbfae-7fb9-4983-8e23-5ccd8c508722","row":"` + row + `","scheduledTime":"` + chain.TimePlaceholder + `"}`
}

// due is the fake clock's time, when the chain sends its messages.
var due = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

func sent(row string, at time.Time) string {
	body := strings.Replace(message(row), chain.TimePlaceholder, at.Format(time.RFC3339), 1)
	return strings.TrimSuffix(body, "}") + `,"dueAt":"2026-12-01T09:30:00Z"}`
}

func newStarter(t *testing.T, q *queue, rows ...chain.Row) *chain.Starter {
	t.Helper()
	g, err := chain.New(rows)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.New(ledger.Config{DB: server.Client(), Table: server.LedgerTable(t), Clock: clock.NewFake(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	s, err := chain.NewStarter(chain.Config{Graph: g, Ledger: l, Queue: q, QueueURL: startURL, Clock: clock.NewFake(due)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func succeeded(t *testing.T, s *chain.Starter, row string, at time.Time) []string {
	t.Helper()
	started, err := s.Succeeded(context.Background(), row, at)
	if err != nil {
		t.Fatal(err)
	}
	return started
}

var six = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// TestSucceededStartsOnceAfterAll: a row after two rows starts when the
// second of them succeeds, once, with the later run's time; a success
// recorded again starts nothing; the next day starts it again.
func TestSucceededStartsOnceAfterAll(t *testing.T) {
	q := &queue{}
	s := newStarter(t, q,
		chain.Row{Name: "transform", After: []string{"extract-sales", "extract-stock"}, Message: message("transform")},
		chain.Row{Name: "audit", After: []string{"extract-sales"}, Message: message("audit")},
	)
	if got := succeeded(t, s, "extract-sales", six); !cmp.Equal(got, []string{"audit"}) {
		t.Errorf("after extract-sales started %v, want [audit]", got)
	}
	slower := six.Add(40 * time.Minute)
	if got := succeeded(t, s, "extract-stock", slower); !cmp.Equal(got, []string{"transform"}) {
		t.Errorf("after extract-stock started %v, want [transform]", got)
	}
	// A watcher round retried after it had already started them.
	succeeded(t, s, "extract-stock", slower)
	succeeded(t, s, "extract-sales", six)
	want := []string{sent("audit", six), sent("transform", slower)}
	if diff := cmp.Diff(q.sent, want); diff != "" {
		t.Errorf("messages (-got +want):\n%s", diff)
	}

	next := six.Add(24 * time.Hour)
	succeeded(t, s, "extract-stock", next)
	if got := succeeded(t, s, "extract-sales", next.Add(time.Minute)); !cmp.Equal(got, []string{"transform", "audit"}) {
		t.Errorf("next day started %v, want [transform audit]", got)
	}
}

// TestSucceededRetriesAFailedSend: when the start queue refuses, the error
// says so and the ready times stay, so that calling again (the watcher's
// next round) sends the same run.
func TestSucceededRetriesAFailedSend(t *testing.T) {
	q := &queue{fail: 1}
	s := newStarter(t, q, chain.Row{Name: "transform", After: []string{"extract"}, Message: message("transform")})
	if _, err := s.Succeeded(context.Background(), "extract", six); err == nil || !strings.Contains(err.Error(), "SQS is unavailable") {
		t.Fatalf("error %v, want the queue's", err)
	}
	if got := succeeded(t, s, "extract", six); !cmp.Equal(got, []string{"transform"}) {
		t.Errorf("retry started %v, want [transform]", got)
	}
	if diff := cmp.Diff(q.sent, []string{sent("transform", six)}); diff != "" {
		t.Errorf("messages (-got +want):\n%s", diff)
	}
}

// TestHeldBack: a failure holds back the rows after the row and after
// them, each named once.
func TestHeldBack(t *testing.T) {
	g, err := chain.New([]chain.Row{
		{Name: "transform", After: []string{"extract-sales", "extract-stock"}, Message: message("transform")},
		{Name: "dashboard", After: []string{"transform"}, Message: message("dashboard")},
		{Name: "board-pack", After: []string{"transform", "extract-sales"}, Message: message("board-pack")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g.HeldBack("extract-sales"), []string{"transform", "board-pack", "dashboard"}); diff != "" {
		t.Errorf("held back (-got +want):\n%s", diff)
	}
	if got := g.HeldBack("dashboard"); len(got) != 0 {
		t.Errorf("a row with nothing after it holds back %v", got)
	}
}

// TestGraphFile: the file the stacks write is the graph the function
// reads, and a broken one is refused with its cause.
func TestGraphFile(t *testing.T) {
	g, err := chain.New([]chain.Row{{Name: "transform", After: []string{"extract"}, Message: message("transform")}})
	if err != nil {
		t.Fatal(err)
	}
	back, err := chain.Parse(g.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(back.Rows(), g.Rows()); diff != "" {
		t.Errorf("round trip (-got +want):\n%s", diff)
	}
	for _, bad := range []string{
		`{"rows":[{"row":"t","after":[],"message":"{}"}]}`,
		`{"rows":[{"row":"t","after":["e"],"message":"{\"scheduledTime\":\"2026-12-01T06:00:00Z\"}"}]}`,
		`{"rows":[],"extra":1}`,
	} {
		if _, err := chain.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) accepted a broken graph", bad)
		}
	}
}
