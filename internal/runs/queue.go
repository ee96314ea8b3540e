package runs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

// Delays of messages put back on the start queue.
const (
	// retryBase and retryMax bound the growing delays after transient
	// failures: 10 s, 20 s, 40 s, ... up to 10 minutes.
	retryBase = 10 * time.Second
	retryMax  = 10 * time.Minute
	// credentialBase and credentialMax bound those after a credential
	// failure: 1, 2, 4, ... up to 30 minutes, until a new secret is put
	// or the run becomes too late.
	credentialBase = time.Minute
	credentialMax  = 30 * time.Minute
	// defaultRetryAfter stands in for a rate-limit 429 without
	// Retry-After.
	defaultRetryAfter = 5 * time.Second
	// maxRateJitter caps the jitter added to Retry-After: enough to spread
	// the messages that were limited together, small against Qlik's
	// window.
	maxRateJitter = 5 * time.Second
	// quickReturn bounds the delay of records not reached before the
	// deadline.
	quickReturn = 2 * time.Second
	// maxVisibility is SQS's limit for ChangeMessageVisibility (12 hours).
	maxVisibility = 12 * time.Hour
	// maxReason bounds the reason attribute of a dead letter.
	maxReason = 1000
)

// disposal says what becomes of a message.
type disposal int

const (
	// disposeDone: the message is deleted (reported as processed).
	disposeDone disposal = iota
	// disposePutBack: the message comes back after delay.
	disposePutBack
	// disposeDeadLetter: the message is sent to the dead-letter queue and
	// deleted from the start queue.
	disposeDeadLetter
)

// outcome is what became of one message, for the log and the metrics.
type outcome struct {
	msg       Message
	decoded   bool
	claim     ledger.ClaimState
	disposal  disposal
	delay     time.Duration
	rateLimit bool
	errorType string
	reason    string
	result    *reload.Result
	lateness  time.Duration
}

// HandleQueue handles a batch of start-queue messages, one after the
// other, and returns the messages that must come back. It never fails as a
// whole: each message is either done (started, already started, or sent to
// the dead-letter queue) or put back with the delay its failure calls for.
func (c *Consumer) HandleQueue(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, rec := range ev.Records {
		if c.outOfTime(ctx) {
			// Not enough time left to start a reload and record it: the
			// rest come back at once for another invocation.
			for _, r := range ev.Records[i:] {
				out := outcome{disposal: disposePutBack, delay: c.jitter(quickReturn), errorType: "DeadlineNear",
					reason: "not reached before the invocation's deadline"}
				c.finish(ctx, r, &out)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
			break
		}
		out := c.handleRecord(ctx, rec)
		if !c.finish(ctx, rec, &out) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

func (c *Consumer) outOfTime(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && d.Sub(c.clock.Now()) < c.reserve
}

// handleRecord decides one message's fate and does the work for it, but
// neither puts it back nor dead-letters it (finish does).
func (c *Consumer) handleRecord(ctx context.Context, rec events.SQSMessage) outcome {
	msg, err := DecodeMessage([]byte(rec.Body), true)
	if err != nil {
		return outcome{disposal: disposeDeadLetter, errorType: string(reload.KindInvalidEvent),
			reason: err.Error() + "; fix the row's event in the config table and redeploy"}
	}
	out := outcome{msg: msg, decoded: true}
	key := runKey(msg)
	now := c.clock.Now()

	if until := c.blocked(); now.Before(until) {
		// Qlik answered this process with a rate limit that has not
		// lifted: asking again would only spend requests.
		out.disposal, out.rateLimit = disposePutBack, true
		out.delay = until.Sub(now) + c.jitter(min(until.Sub(now)/10, maxRateJitter))
		out.errorType = string(reload.KindRateLimited)
		return out
	}

	_, redrive := rec.MessageAttributes[AttrErrorType]
	claim, err := c.ledger.Claim(ctx, ledger.ClaimRequest{Key: key, LeaseUntil: c.leaseUntil(ctx), Redrive: redrive, TimeZone: msg.TimeZone})
	if err != nil {
		return c.retry(out, rec, string(KindLedgerUnavailable), err.Error())
	}
	out.claim = claim.State
	switch claim.State {
	case ledger.ClaimStarted:
		// A redelivery, a second copy, or a Scheduler retry: the run
		// already has its reload.
		return out
	case ledger.ClaimDeadLettered:
		// A second copy of a message already in the dead-letter queue;
		// the copy there is the one a person redrives.
		return out
	case ledger.ClaimHeld:
		out.disposal = disposePutBack
		out.delay = max(claim.Run.LeaseUntil.Sub(now), 0) + time.Second + c.jitter(time.Second)
		out.errorType, out.reason = "RunHeld", "another attempt holds the run until "+claim.Run.LeaseUntil.UTC().Format(time.RFC3339)
		return out
	}

	bound := msg.MaxDelay
	if bound == 0 {
		bound = c.maxDelay
	}
	if late := now.Sub(msg.Due()); late > bound && !redrive {
		out.disposal, out.errorType = disposeDeadLetter, ErrorTypeTooLate
		out.reason = fmt.Sprintf("the run due at %s is %s late, more than its bound of %d minutes (maxDelayMinutes): it was not started. Redrive it to start it now anyway",
			msg.Due().Format(time.RFC3339), late.Truncate(time.Second), int(bound/time.Minute))
		return out
	}

	var since time.Time
	if claim.State == ledger.ClaimUnresolved {
		since = claim.Run.UnsettledSince
	}
	res, err := c.starter.StartRun(ctx, msg.Event, reload.RunOptions{AdoptSince: since, Unreported: true})
	if err != nil {
		return c.failed(ctx, out, rec, key, err)
	}
	out.result = &res
	start := c.startOf(res)
	if res.Created {
		out.lateness = start.StartedAt.Sub(msg.Due())
	}
	if err := c.ledger.RecordStart(ctx, key, start); err != nil {
		var conflict *ledger.ConflictError
		if errors.As(err, &conflict) {
			c.logger.ErrorContext(ctx, "the ledger records another reload for this run", "row", msg.Row,
				"scheduledTime", key.SK(), "reloadId", res.ReloadID, "recorded", conflict.Recorded)
			return out
		}
		// The reload exists but is not recorded: the message comes back,
		// finds the run held until this attempt's lease ends, and then
		// adopts the reload instead of starting another.
		return c.retry(out, rec, string(KindLedgerUnavailable), err.Error())
	}
	return out
}

// failed handles an attempt that started nothing.
func (c *Consumer) failed(ctx context.Context, out outcome, rec events.SQSMessage, key ledger.Key, err error) outcome {
	kind := kindOf(err)
	var rl *qlik.RateLimitError
	switch {
	case errors.As(err, &rl):
		// The POST, a read or the token endpoint: whichever tier, Qlik did
		// nothing with the request.
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = defaultRetryAfter
		}
		c.block(c.clock.Now().Add(wait))
		out.disposal, out.rateLimit = disposePutBack, true
		out.delay = wait + c.jitter(min(wait/10, maxRateJitter))
		out.errorType, out.reason = string(reload.KindRateLimited), err.Error()
	case needsPerson(kind):
		out.disposal, out.errorType, out.reason = disposeDeadLetter, string(kind), err.Error()
		// Recorded in finish, once the dead letter is sent.
		return out
	case credentialKind(kind):
		out.disposal, out.errorType, out.reason = disposePutBack, string(kind), err.Error()
		out.delay = growing(receiveCount(rec), credentialBase, credentialMax, c.jitter)
	default:
		out = c.retry(out, rec, string(kind), err.Error())
	}
	c.recordFailure(ctx, key, ledger.Failure{ErrorType: out.errorType})
	return out
}

// retry puts a message back after a transient failure, with a delay that
// grows with its receive count.
func (c *Consumer) retry(out outcome, rec events.SQSMessage, errorType, reason string) outcome {
	out.disposal, out.errorType, out.reason = disposePutBack, errorType, reason
	out.delay = growing(receiveCount(rec), retryBase, retryMax, c.jitter)
	return out
}

func (c *Consumer) recordFailure(ctx context.Context, key ledger.Key, f ledger.Failure) {
	if err := c.ledger.RecordFailure(ctx, key, f); err != nil {
		// The run stays held until the attempt's lease ends; the next
		// delivery after that takes it over.
		c.logger.WarnContext(ctx, "could not record the failed attempt in the ledger", "row", key.Row,
			"scheduledTime", key.SK(), "errorType", f.ErrorType, "error", err.Error())
	}
}

// finish puts the message back or dead-letters it as out says, then logs
// and writes the metrics. It reports whether the message is done.
func (c *Consumer) finish(ctx context.Context, rec events.SQSMessage, out *outcome) bool {
	done := true
	switch out.disposal {
	case disposePutBack:
		done = false
		c.putBack(ctx, rec, out.delay)
	case disposeDeadLetter:
		if err := c.deadLetter(ctx, rec, out.errorType, out.reason); err != nil {
			// Nothing may be lost: the message stays on the start queue
			// and is dead-lettered on a later delivery.
			c.logger.ErrorContext(ctx, "could not send the message to the dead-letter queue; it comes back",
				"messageId", rec.MessageId, "error", err.Error())
			out.disposal = disposePutBack
			out.delay = growing(receiveCount(rec), retryBase, retryMax, c.jitter)
			c.putBack(ctx, rec, out.delay)
			if out.decoded {
				c.recordFailure(ctx, runKey(out.msg), ledger.Failure{ErrorType: out.errorType})
			}
			done = false
			break
		}
		if out.decoded {
			c.recordFailure(ctx, runKey(out.msg), ledger.Failure{
				ErrorType:    out.errorType,
				Settled:      out.claim == ledger.ClaimFresh || out.errorType != ErrorTypeTooLate,
				DeadLettered: true,
			})
		}
	}
	c.report(ctx, rec, out)
	return done
}

// putBack makes the message visible again after delay. If that fails, the
// message still comes back, after the queue's visibility timeout.
func (c *Consumer) putBack(ctx context.Context, rec events.SQSMessage, delay time.Duration) {
	secs := int32(min(max(delay, 0), maxVisibility).Seconds() + 0.999)
	_, err := c.queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(c.startURL),
		ReceiptHandle:     aws.String(rec.ReceiptHandle),
		VisibilityTimeout: secs,
	})
	if err != nil {
		c.logger.WarnContext(ctx, "could not set when the message comes back; it returns after the queue's visibility timeout",
			"messageId", rec.MessageId, "error", err.Error())
	}
}

// deadLetter sends the message's body unchanged to the dead-letter queue,
// so that SQS's message move task redrives it as it was, with the error
// type and the reason as message attributes.
func (c *Consumer) deadLetter(ctx context.Context, rec events.SQSMessage, errorType, reason string) error {
	if len(reason) > maxReason {
		reason = reason[:maxReason] + "..."
	}
	_, err := c.queue.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(c.deadURL),
		MessageBody: aws.String(rec.Body),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			AttrErrorType: {DataType: aws.String("String"), StringValue: aws.String(errorType)},
			AttrReason:    {DataType: aws.String("String"), StringValue: aws.String(reason)},
		},
	})
	if err != nil {
		return fmt.Errorf("send message %s to the dead-letter queue: %w", rec.MessageId, err)
	}
	return nil
}

func (c *Consumer) blocked() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blockedUntil
}

func (c *Consumer) block(until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.blockedUntil) {
		c.blockedUntil = until
	}
}

// receiveCount reads SQS's ApproximateReceiveCount; 1 when absent.
func receiveCount(rec events.SQSMessage) int {
	n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// growing returns base doubled per earlier receive, capped, with equal
// jitter: half fixed, half random.
func growing(receives int, base, cap time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	step := base << min(receives-1, 20)
	if step <= 0 || step > cap {
		step = cap
	}
	return step/2 + jitter(step/2)
}

// report logs the message's outcome and writes its metrics.
func (c *Consumer) report(ctx context.Context, rec events.SQSMessage, out *outcome) {
	attrs := []any{"messageId", rec.MessageId, "receiveCount", receiveCount(rec)}
	props := map[string]any{"messageId": rec.MessageId}
	if out.decoded {
		attrs = append(attrs, "row", out.msg.Row, "appId", out.msg.Event.AppID, "scheduledTime", out.msg.ScheduledTime.Format(time.RFC3339))
		props["row"], props["appId"], props["scheduledTime"] = out.msg.Row, out.msg.Event.AppID, out.msg.ScheduledTime.Format(time.RFC3339)
	}
	if out.claim != 0 {
		attrs = append(attrs, "claim", out.claim.String())
	}
	var started, active, limited, retried, dead float64
	metrics := []emf.Metric{}
	switch out.disposal {
	case disposeDone:
		if out.result == nil {
			c.logger.InfoContext(ctx, "run already handled; nothing started", attrs...)
			break
		}
		r := out.result
		attrs = append(attrs, "reloadId", r.ReloadID, "status", string(r.Status), "created", r.Created)
		props["reloadId"], props["status"], props["created"] = r.ReloadID, string(r.Status), r.Created
		msg := "reload already active"
		if r.Created {
			msg, started = "reload started", 1
			attrs = append(attrs, "latenessMs", out.lateness.Milliseconds())
			metrics = append(metrics, emf.Metric{Name: MetricStartLateness, Unit: emf.Milliseconds, Value: float64(out.lateness.Milliseconds())})
		} else {
			active = 1
		}
		if r.Detail != "" {
			attrs = append(attrs, "detail", r.Detail)
		}
		c.logger.InfoContext(ctx, msg, attrs...)
	case disposePutBack:
		if out.rateLimit {
			limited = 1
		} else {
			retried = 1
		}
		attrs = append(attrs, "errorType", out.errorType, "delaySeconds", int(out.delay.Seconds()+0.999))
		if out.reason != "" {
			attrs = append(attrs, "error", out.reason)
		}
		props["errorType"] = out.errorType
		c.logger.WarnContext(ctx, "run put back on the start queue", attrs...)
	case disposeDeadLetter:
		dead = 1
		attrs = append(attrs, "errorType", out.errorType, "error", out.reason)
		props["errorType"] = out.errorType
		metrics = append(metrics, emf.Metric{Name: DeadLetterMetric(out.errorType), Unit: emf.Count, Value: 1})
		c.logger.ErrorContext(ctx, "run sent to the dead-letter queue", attrs...)
	}
	if c.metrics == nil {
		return
	}
	metrics = append(metrics,
		emf.Metric{Name: MetricReloadsStarted, Unit: emf.Count, Value: started},
		emf.Metric{Name: MetricReloadsAlreadyActive, Unit: emf.Count, Value: active},
		emf.Metric{Name: MetricRunsRateLimited, Unit: emf.Count, Value: limited},
		emf.Metric{Name: MetricRunsRetried, Unit: emf.Count, Value: retried},
		emf.Metric{Name: MetricRunsDeadLettered, Unit: emf.Count, Value: dead},
	)
	if err := c.metrics.Write(metrics, props); err != nil {
		c.logger.WarnContext(ctx, "could not write metrics", "error", err.Error())
	}
}
