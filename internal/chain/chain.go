// Package chain starts the rows that run after other rows. A row with
// after: [extract-sales, extract-stock] starts once every one of them has
// SUCCEEDED since its own last start; whatever records an upstream run's
// final status (the watcher) calls Succeeded, which records the success in
// the ledger and, when the downstream row's upstreams are all ready, sends
// the row's message to the start queue. Nothing polls for chains.
//
// The downstream run's scheduledTime is the latest upstream run's, so a
// chain keeps its lineage in the ledger, and the start queue's
// exactly-once rule holds for it as for any run: a message sent twice for
// the same upstream times is the same run and starts one reload.
//
// The graph reaches the function as a small JSON file bundled beside its
// binary (see Graph.Marshal and Parse), written at synth from the config
// table: every enabled downstream row with its upstreams and its
// start-queue message.
package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
)

// FileName is the graph's file beside the function's binary.
const FileName = "chains.json"

// TimePlaceholder stands in a row's message for its scheduled time: the
// schedule's own placeholder, which Scheduler replaces for a scheduled
// row and Succeeded replaces with the latest upstream run's time. A
// message is a JSON object, written on one line.
const TimePlaceholder = "<aws.scheduler.scheduled-time>"

// Row is a downstream row: it runs after every row of After.
type Row struct {
	// Name is the row's name.
	Name string `json:"row"`
	// After names its upstream rows.
	After []string `json:"after"`
	// Message is the row's start-queue message, with TimePlaceholder for
	// its scheduledTime.
	Message string `json:"message"`
}

// Graph is the chains of an environment.
type Graph struct {
	rows []Row
	// downstream maps each upstream row to the rows after it, in order.
	downstream map[string][]Row
}

// New checks rows and returns their graph: each row has a name, upstreams
// and a message that holds TimePlaceholder once.
func New(rows []Row) (*Graph, error) {
	g := &Graph{rows: slices.Clone(rows), downstream: map[string][]Row{}}
	var errs []error
	seen := map[string]bool{}
	for _, r := range g.rows {
		switch {
		case r.Name == "" || len(r.After) == 0:
			errs = append(errs, fmt.Errorf("row %q: a downstream row needs a name and at least one upstream", r.Name))
		case seen[r.Name]:
			errs = append(errs, fmt.Errorf("row %q: listed twice", r.Name))
		case strings.Count(r.Message, `"`+TimePlaceholder+`"`) != 1 || !json.Valid([]byte(r.Message)):
			errs = append(errs, fmt.Errorf("row %q: the message must be JSON with %q as its scheduledTime", r.Name, TimePlaceholder))
		}
		seen[r.Name] = true
		for _, up := range r.After {
			g.downstream[up] = append(g.downstream[up], r)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("chain: %w", errors.Join(errs...))
	}
	return g, nil
}

// Parse reads a graph written by Marshal.
func Parse(data []byte) (*Graph, error) {
	var f struct {
		Rows []Row `json:"rows"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("chain: read %s: %w", FileName, err)
	}
	return New(f.Rows)
}

// Marshal writes the graph as the file the function reads.
func (g *Graph) Marshal() []byte {
	data, _ := json.MarshalIndent(struct {
		Rows []Row `json:"rows"`
	}{g.rows}, "", " ") // Strings and lists of strings always encode.
	return append(data, '\n')
}

// Rows returns the downstream rows, in the order given to New.
func (g *Graph) Rows() []Row { return slices.Clone(g.rows) }

// After returns the rows that run after upstream.
func (g *Graph) After(upstream string) []Row { return g.downstream[upstream] }

// HeldBack names the rows a failure of upstream holds back: those after it,
// and those after them, each once, nearest first.
func (g *Graph) HeldBack(upstream string) []string {
	var out []string
	queue := []string{upstream}
	seen := map[string]bool{upstream: true}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, r := range g.downstream[name] {
			if !seen[r.Name] {
				seen[r.Name] = true
				out = append(out, r.Name)
				queue = append(queue, r.Name)
			}
		}
	}
	return out
}

// Ledger is what Starter keeps in the run ledger; *ledger.Ledger
// implements it.
type Ledger interface {
	RecordUpstream(ctx context.Context, downstream, upstream string, t time.Time) (map[string]time.Time, error)
	UseUpstreams(ctx context.Context, downstream string, used map[string]time.Time) error
}

// Queue sends to the start queue; *sqs.Client implements it.
type Queue interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Config holds a Starter's dependencies.
type Config struct {
	// Graph, Ledger, Queue and QueueURL (the start queue's) are required.
	Graph    *Graph
	Ledger   Ledger
	Queue    Queue
	QueueURL string
	// Clock stamps each message's dueAt; the system clock by default.
	Clock clock.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Starter starts downstream rows when their upstreams succeed.
type Starter struct {
	cfg Config
}

// NewStarter returns a Starter. It makes no call.
func NewStarter(cfg Config) (*Starter, error) {
	if cfg.Graph == nil || cfg.Ledger == nil || cfg.Queue == nil || cfg.QueueURL == "" {
		return nil, errors.New("chain: a graph, a ledger, a queue and the start queue's URL are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Starter{cfg: cfg}, nil
}

// HeldBack names the rows a failure of row holds back (see Graph.HeldBack).
func (s *Starter) HeldBack(row string) []string { return s.cfg.Graph.HeldBack(row) }

// Succeeded records that the run of row scheduled at t SUCCEEDED and
// starts each row after it whose upstreams have now all SUCCEEDED since its
// last start, with the latest upstream run's time as its scheduledTime. It
// returns the rows it started. It may be called again for the same run
// (after a failure, say): a row is then not started twice, since its
// message would name the same run.
func (s *Starter) Succeeded(ctx context.Context, row string, t time.Time) ([]string, error) {
	var started []string
	var errs []error
	for _, down := range s.cfg.Graph.After(row) {
		ready, err := s.cfg.Ledger.RecordUpstream(ctx, down.Name, row, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		latest, all := time.Time{}, true
		for _, up := range down.After {
			at, ok := ready[up]
			if !ok {
				all = false
				break
			}
			if at.After(latest) {
				latest = at
			}
		}
		if !all {
			s.cfg.Logger.InfoContext(ctx, "chain waits for its other upstreams", "row", down.Name, "upstream", row,
				"ready", len(ready), "upstreams", len(down.After))
			continue
		}
		used := make(map[string]time.Time, len(down.After))
		for _, up := range down.After {
			used[up] = ready[up]
		}
		// Send first: should recording the start fail, the ready times
		// stay, and the next call sends the same run again, which starts
		// nothing twice.
		if err := s.send(ctx, down, latest); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.cfg.Ledger.UseUpstreams(ctx, down.Name, used); err != nil {
			errs = append(errs, err)
			continue
		}
		s.cfg.Logger.InfoContext(ctx, "chain started", "row", down.Name, "after", down.After, "scheduledTime", latest.Format(time.RFC3339))
		started = append(started, down.Name)
	}
	if len(errs) > 0 {
		return started, fmt.Errorf("chain: after %s: %w", row, errors.Join(errs...))
	}
	return started, nil
}

// send puts the row's message, for the run at t, on the start queue,
// with dueAt, the time from which the function counts the run's lateness:
// now, not the upstream's scheduled time, which may be hours ago.
func (s *Starter) send(ctx context.Context, r Row, t time.Time) error {
	body := strings.Replace(r.Message, TimePlaceholder, t.UTC().Format(time.RFC3339Nano), 1)
	due := s.cfg.Clock.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	body = strings.TrimSuffix(body, "}") + `,"dueAt":"` + due + `"}`
	if _, err := s.cfg.Queue.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.cfg.QueueURL), MessageBody: aws.String(body)}); err != nil {
		return fmt.Errorf("send %s to the start queue: %w", r.Name, err)
	}
	return nil
}
