// Package runs takes a run from its trigger to a recorded reload: a
// start-queue message (an SQS batch from the event source mapping) or a
// direct invocation. Each run is claimed in the ledger before Qlik is
// asked for anything, so that a run starts at most one reload however
// often its message arrives, and every run the stack started is recorded.
//
// On the queue, Qlik's limits are back-pressure, not failures: a
// rate-limited message is put back for the Retry-After Qlik gave (with
// jitter) and the function moves on; a transient failure comes back with
// growing delays; what only a person can fix goes to the dead-letter queue
// at once with its error type, as does a run later than its lateness
// bound (TooLate).
package runs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/metrics"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

// Starter starts one run's reload; *reload.Handler implements it.
type Starter interface {
	StartRun(ctx context.Context, ev reload.Event, opts reload.RunOptions) (reload.Result, error)
}

// Ledger records runs; *ledger.Ledger implements it.
type Ledger interface {
	Claim(ctx context.Context, req ledger.ClaimRequest) (ledger.Claim, error)
	RecordStart(ctx context.Context, key ledger.Key, s ledger.Start) error
	RecordFailure(ctx context.Context, key ledger.Key, f ledger.Failure) error
}

// Queue is the part of SQS the consumer uses: putting a message back for
// later, and sending one to the dead-letter queue. *sqs.Client implements
// it.
type Queue interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Metrics records metrics; *emf.Writer implements it.
type Metrics interface {
	Write(metrics []emf.Metric, properties map[string]any) error
}

// Metric names the consumer writes, one record per message. They carry
// the environment-level dimensions only; the app, the row and the reason
// of a dead letter are properties of the record.
const (
	MetricReloadsStarted       = metrics.ReloadsStarted
	MetricReloadsAlreadyActive = "ReloadsAlreadyActive"
	MetricRunsRateLimited      = metrics.RunsRateLimited
	MetricRunsRetried          = "RunsRetried"
	MetricRunsDeadLettered     = "RunsDeadLettered"
	MetricStartLateness        = metrics.StartLateness
)

// DeadLetterMetric is the name of the per-reason dead-letter count:
// RunsDeadLettered followed by the error type, such as
// RunsDeadLetteredTooLate.
func DeadLetterMetric(errorType string) string { return MetricRunsDeadLettered + errorType }

// Defaults of Config.
const (
	DefaultMaxDelay = 60 * time.Minute
	// DefaultReserve is the time a record needs before the invocation's
	// deadline to be started; later records are put back.
	DefaultReserve = 5 * time.Second
	// DefaultLease bounds a claim when the context has no deadline.
	DefaultLease = 15 * time.Minute
)

// ErrorTypeTooLate is the dead-letter error type of a run later than its
// lateness bound.
const ErrorTypeTooLate = "TooLate"

// Message attributes of a dead letter.
const (
	AttrErrorType = "errorType"
	AttrReason    = "reason"
)

// Config holds a Consumer's dependencies.
type Config struct {
	// Starter starts the reloads of queue messages. Required.
	Starter Starter
	// DirectStarter starts those of direct invocations; nil means
	// Starter. (The function gives the queue a client that puts rate
	// limits back on the queue instead of waiting them out, and direct
	// invocations one that waits, as they always did.)
	DirectStarter Starter
	// Ledger records runs. Required.
	Ledger Ledger
	// Queue reaches SQS. Required.
	Queue Queue
	// StartQueueURL and DeadLetterQueueURL are the queues' URLs. Required.
	StartQueueURL      string
	DeadLetterQueueURL string
	// MaxDelay is the environment's lateness bound; zero means
	// DefaultMaxDelay.
	MaxDelay time.Duration
	// Reserve is the time kept free per record before the deadline; zero
	// means DefaultReserve.
	Reserve time.Duration
	// Clock defaults to the system clock.
	Clock clock.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Metrics defaults to none.
	Metrics Metrics
	// Jitter returns a random duration from 0 to d; nil means uniform
	// random. Tests make it deterministic.
	Jitter func(d time.Duration) time.Duration
}

// Consumer handles runs. It is safe for concurrent use.
type Consumer struct {
	starter  Starter
	direct   Starter
	ledger   Ledger
	queue    Queue
	startURL string
	deadURL  string
	maxDelay time.Duration
	reserve  time.Duration
	clock    clock.Clock
	logger   *slog.Logger
	metrics  Metrics
	jitter   func(time.Duration) time.Duration

	// blockedUntil is when Qlik's rate limit, as last answered, lifts:
	// until then, messages go back to the queue without asking Qlik.
	mu           sync.Mutex
	blockedUntil time.Time
}

// New returns a Consumer. It makes no call.
func New(cfg Config) (*Consumer, error) {
	var errs []error
	if cfg.Starter == nil {
		errs = append(errs, errors.New("nil starter"))
	}
	if cfg.Ledger == nil {
		errs = append(errs, errors.New("nil ledger"))
	}
	if cfg.Queue == nil || cfg.StartQueueURL == "" || cfg.DeadLetterQueueURL == "" {
		errs = append(errs, errors.New("no SQS client or queue URLs"))
	}
	if cfg.MaxDelay < 0 || cfg.Reserve < 0 {
		errs = append(errs, errors.New("negative lateness bound or reserve"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("runs: %w", errors.Join(errs...))
	}
	c := &Consumer{
		starter:  cfg.Starter,
		direct:   cfg.DirectStarter,
		ledger:   cfg.Ledger,
		queue:    cfg.Queue,
		startURL: cfg.StartQueueURL,
		deadURL:  cfg.DeadLetterQueueURL,
		maxDelay: cfg.MaxDelay,
		reserve:  cfg.Reserve,
		clock:    cfg.Clock,
		logger:   cfg.Logger,
		metrics:  cfg.Metrics,
		jitter:   cfg.Jitter,
	}
	if c.direct == nil {
		c.direct = c.starter
	}
	if c.maxDelay == 0 {
		c.maxDelay = DefaultMaxDelay
	}
	if c.reserve == 0 {
		c.reserve = DefaultReserve
	}
	if c.clock == nil {
		c.clock = clock.System()
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.jitter == nil {
		c.jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d + 1)
		}
	}
	return c, nil
}

// leaseUntil is how long an attempt may hold a run: until its
// invocation's deadline, after which Lambda has stopped it for sure.
func (c *Consumer) leaseUntil(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok && d.After(c.clock.Now()) {
		return d
	}
	return c.clock.Now().Add(DefaultLease)
}

// runKey is the ledger key of a message's run.
func runKey(msg Message) ledger.Key {
	return ledger.Key{Row: msg.Row, AppID: msg.Event.AppID, ScheduledTime: msg.ScheduledTime}
}

// startOf turns a handler result into what the ledger records.
func (c *Consumer) startOf(res reload.Result) ledger.Start {
	s := ledger.Start{ReloadID: res.ReloadID, Status: string(res.Status), Created: res.Created}
	if s.ReloadID == "" || s.Status == "" {
		s.Status = ledger.StatusPending
	}
	if t, err := time.Parse(time.RFC3339Nano, res.CreationTime); err == nil {
		s.StartedAt = t
	} else {
		s.StartedAt = c.clock.Now()
	}
	return s
}

// kindOf returns the error kind of a handler error.
func kindOf(err error) reload.Kind {
	var e *reload.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return reload.KindTenantUnavailable
}

// needsPerson reports whether a failure of this kind only a person can
// fix: the run goes to the dead-letter queue at once. Such failures also
// settle the run: Qlik refused the app or the request, so no reload of the
// run exists.
func needsPerson(k reload.Kind) bool {
	switch k {
	case reload.KindInvalidEvent, reload.KindAppNotFound, reload.KindAppNotReloadable, reload.KindReloadRejected:
		return true
	}
	return false
}

// credentialKind reports whether a failure is about the credential: it
// comes back at growing intervals, since putting a new secret fixes it.
func credentialKind(k reload.Kind) bool {
	return k == reload.KindCredentialRejected || k == reload.KindCredentialUnavailable
}
