// Package ledger is the run ledger: one DynamoDB item per run of a reload
// (a row's scheduled time, or a direct invocation), written before any
// reload is started, so that every run the stack started is recorded and
// no run starts two reloads.
//
// A run is claimed with a conditional write before Qlik is asked for
// anything. The claim tells the caller what to do:
//
//   - [ClaimFresh]: the run is new (or was settled without a reload and is
//     being redriven): start its reload.
//   - [ClaimUnresolved]: an earlier attempt claimed the run and ended
//     without recording a reload; it may have created one and died before
//     it could say so. Adopt a reload of the app created since
//     [Run.UnsettledSince]; start one only when there is none.
//   - [ClaimStarted]: the run already has its reload: start nothing.
//   - [ClaimHeld]: another attempt is working on the run until
//     [Run.LeaseUntil]: come back after that.
//   - [ClaimDeadLettered]: the run was sent to the dead-letter queue; only a
//     redrive (a message moved back from it) takes it over.
//
// Runs without a final status carry the attribute openShard, which puts
// them in the sparse index "open", so that whatever follows runs to their
// end reads only the open ones, oldest first, without scanning the table.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
)

// API is the part of DynamoDB the ledger uses: item-level reads and
// conditional writes on one table, and queries of its indexes (only the
// watcher and the history command query; the reload function's role
// allows no Query). *dynamodb.Client implements it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Attribute and index names of the table, shared with the stacks that
// create it.
const (
	AttrPK             = "pk"
	AttrSK             = "sk"
	AttrAppID          = "appId"
	AttrRow            = "row"
	AttrScheduledTime  = "scheduledTime"
	AttrAttempts       = "attempts"
	AttrReloadID       = "reloadId"
	AttrStatus         = "status"
	AttrCreated        = "created"
	AttrClaimedAt      = "claimedAt"
	AttrStartedAt      = "startedAt"
	AttrLastError      = "lastError"
	AttrOpenShard      = "openShard"
	AttrExpiresAt      = "expiresAt"
	AttrLeaseUntil     = "leaseUntil"
	AttrUnsettledSince = "unsettledSince"
	// AttrTimeZone is the row's IANA time zone, from the message, so that
	// alerts and the history show the scheduled time as the row reads it.
	AttrTimeZone = "timezone"
	// IndexOpen is the sparse index of runs without a final status, keyed
	// by openShard and scheduledTime.
	IndexOpen = "open"
)

// Statuses the ledger writes itself. Once a run has a reload, its status is
// the reload's status in Qlik (QUEUED, RELOADING, ..., SUCCEEDED).
const (
	// StatusClaimed: the run is claimed and has no reload yet.
	StatusClaimed = "CLAIMED"
	// StatusPending: Qlik said a reload request of the app is already
	// pending, and did not list it yet: the run has no reload id.
	StatusPending = "PENDING"
	// StatusDeadLettered: the run was sent to the dead-letter queue; a
	// person decides whether it runs (by redriving it).
	StatusDeadLettered = "DEAD_LETTERED"
)

// finalStatuses are the statuses after which a run leaves the open index.
var finalStatuses = map[string]bool{
	"SUCCEEDED": true, "FAILED": true, "CANCELED": true, "EXCEEDED_LIMIT": true,
	StatusDeadLettered: true, StatusUnknown: true,
}

// FinalStatus reports whether a run with status s is over: a reload's end
// status, dead-lettered, or UNKNOWN (its reload vanished with its app).
func FinalStatus(s string) bool { return finalStatuses[s] }

// OpenShards is how many values openShard takes. Runs spread over them by
// a hash of their key, so that a burst's writes to the index do not all
// land on one partition; a reader queries each value.
const OpenShards = 4

// OpenShardValues returns every value openShard takes, for readers of the
// index.
func OpenShardValues() []string {
	out := make([]string, OpenShards)
	for i := range out {
		out[i] = "open-" + strconv.Itoa(i)
	}
	return out
}

// DefaultHistoryDays is how long a run is kept when Config.HistoryDays is
// zero.
const DefaultHistoryDays = 90

// Key identifies a run: a row and its scheduled time, or, for a direct
// invocation that names no row, the app and the invocation's time.
type Key struct {
	// Row is the config row's name; empty for a direct invocation that
	// names none.
	Row string
	// AppID is the app; it keys the run only when Row is empty.
	AppID string
	// ScheduledTime is the run's time: Scheduler's, in whole seconds, or
	// a direct invocation's, kept to the millisecond.
	ScheduledTime time.Time
}

// PK returns the partition key: row#<row>, or app#<appId> without a row.
func (k Key) PK() string {
	if k.Row != "" {
		return "row#" + k.Row
	}
	return "app#" + k.AppID
}

// SK returns the sort key: the scheduled time in RFC 3339, UTC, seconds
// (Scheduler's times are whole seconds). A time with a fraction of a
// second, a direct invocation's, keeps its milliseconds, so that two
// invocations in the same second stay two runs.
func (k Key) SK() string { return formatScheduled(k.ScheduledTime) }

// String names the run in messages.
func (k Key) String() string { return k.PK() + " at " + k.SK() }

func formatScheduled(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() != 0 {
		return formatTime(t)
	}
	return t.Format(time.RFC3339)
}

// formatTime writes the ledger's other times: RFC 3339, UTC, milliseconds.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (k Key) validate() error {
	switch {
	case k.Row == "" && k.AppID == "":
		return errors.New("a run needs a row or an app id")
	case k.ScheduledTime.IsZero():
		return errors.New("a run needs a scheduled time")
	}
	return nil
}

// Run is one item of the ledger.
type Run struct {
	Key
	// Attempts counts the claims of the run: its first and every takeover.
	Attempts int
	// ReloadID is the run's reload, once known.
	ReloadID string
	// Status is StatusClaimed, StatusPending, StatusDeadLettered, or the
	// reload's status in Qlik.
	Status string
	// Created is true when the run created its reload, false when it found
	// another run's reload of the app already active.
	Created bool
	// ClaimedAt is when the run was first claimed.
	ClaimedAt time.Time
	// StartedAt is when Qlik created the run's reload; zero until then.
	StartedAt time.Time
	// LastError is the error type of the last attempt that failed.
	LastError string
	// OpenShard is set while the run has no final status.
	OpenShard string
	// ExpiresAt is when DynamoDB's TTL deletes the item.
	ExpiresAt time.Time
	// LeaseUntil is how long the attempt working on the run holds it; zero
	// when none does.
	LeaseUntil time.Time
	// UnsettledSince is set while an attempt may have created a reload
	// that the run does not record: a reload of the app created since then
	// may be the run's.
	UnsettledSince time.Time
	// TimeZone is the row's IANA time zone, empty when not known.
	TimeZone string
	// Outcome is what the watcher recorded of the run's reload.
	Outcome
}

// Started reports whether the run has its reload (or a pending request).
func (r Run) Started() bool { return !r.StartedAt.IsZero() }

// Config holds a Ledger's dependencies.
type Config struct {
	// DB is the DynamoDB client. Required.
	DB API
	// Table is the table's name. Required.
	Table string
	// HistoryDays is how long runs are kept (DynamoDB's TTL); zero means
	// DefaultHistoryDays.
	HistoryDays int
	// Clock defaults to the system clock.
	Clock clock.Clock
}

// Ledger reads and writes runs. It is safe for concurrent use.
type Ledger struct {
	db      API
	table   string
	history time.Duration
	clock   clock.Clock
}

// New returns a Ledger. It makes no call.
func New(cfg Config) (*Ledger, error) {
	if cfg.DB == nil {
		return nil, errors.New("ledger: nil DynamoDB client")
	}
	if cfg.Table == "" {
		return nil, errors.New("ledger: empty table name")
	}
	if cfg.HistoryDays < 0 {
		return nil, fmt.Errorf("ledger: history of %d days: must not be negative", cfg.HistoryDays)
	}
	days := cfg.HistoryDays
	if days == 0 {
		days = DefaultHistoryDays
	}
	l := &Ledger{db: cfg.DB, table: cfg.Table, history: time.Duration(days) * 24 * time.Hour, clock: cfg.Clock}
	if l.clock == nil {
		l.clock = clock.System()
	}
	return l, nil
}

// ClaimState says what a claim found.
type ClaimState int

// The claim states; see the package documentation.
const (
	ClaimFresh ClaimState = iota + 1
	ClaimUnresolved
	ClaimStarted
	ClaimHeld
	ClaimDeadLettered
)

func (s ClaimState) String() string {
	switch s {
	case ClaimFresh:
		return "fresh"
	case ClaimUnresolved:
		return "unresolved"
	case ClaimStarted:
		return "started"
	case ClaimHeld:
		return "held"
	case ClaimDeadLettered:
		return "dead-lettered"
	}
	return "ClaimState(" + strconv.Itoa(int(s)) + ")"
}

// ClaimRequest asks for a run.
type ClaimRequest struct {
	Key
	// LeaseUntil is when the claiming attempt stops working on the run at
	// the latest (its invocation's deadline); another attempt may take the
	// run over after that.
	LeaseUntil time.Time
	// Redrive says that a person sent the run back from the dead-letter
	// queue: a dead-lettered run is then taken over.
	Redrive bool
	// TimeZone is the row's IANA time zone; empty when the message gives
	// none (UTC is then shown).
	TimeZone string
}

// Claim is the answer to a claim.
type Claim struct {
	State ClaimState
	// Run is the item as the claim left it (or, for ClaimStarted,
	// ClaimHeld and ClaimDeadLettered, as it was found).
	Run Run
}

// Claim claims a run before anything is started for it. It writes the run
// when it is new (PutItem, on condition that no item has its key), and
// otherwise takes it over when no attempt holds it and it has no reload
// (UpdateItem, on condition likewise). The Claim says which.
func (l *Ledger) Claim(ctx context.Context, req ClaimRequest) (Claim, error) {
	if err := req.validate(); err != nil {
		return Claim{}, fmt.Errorf("ledger: claim: %w", err)
	}
	if req.AppID == "" {
		return Claim{}, fmt.Errorf("ledger: claim %s: empty app id", req.Key)
	}
	now := l.clock.Now()
	lease := req.LeaseUntil
	if !lease.After(now) {
		return Claim{}, fmt.Errorf("ledger: claim %s: lease until %s is not in the future", req.Key, formatTime(lease))
	}
	run := Run{
		Key:            Key{Row: req.Row, AppID: req.AppID, ScheduledTime: req.ScheduledTime.UTC().Truncate(time.Millisecond)},
		Attempts:       1,
		Status:         StatusClaimed,
		ClaimedAt:      now,
		OpenShard:      openShard(req.Key),
		ExpiresAt:      now.Add(l.history),
		LeaseUntil:     lease,
		UnsettledSince: now,
		TimeZone:       req.TimeZone,
	}
	_, err := l.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(l.table),
		Item:                run.item(),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err == nil {
		return Claim{State: ClaimFresh, Run: run}, nil
	}
	if !conditionFailed(err) {
		return Claim{}, fmt.Errorf("ledger: claim %s: %w", req.Key, err)
	}
	return l.takeOver(ctx, req, now)
}

// takeOver claims a run that exists: it must have no reload, no attempt
// may hold it, and a dead-lettered run is taken only by a redrive.
func (l *Ledger) takeOver(ctx context.Context, req ClaimRequest, now time.Time) (Claim, error) {
	cond := "attribute_exists(pk) AND attribute_not_exists(startedAt) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)"
	if !req.Redrive {
		cond += " AND #status <> :dead"
	}
	values := map[string]types.AttributeValue{
		":now":     str(formatTime(now)),
		":lease":   str(formatTime(req.LeaseUntil)),
		":one":     num(1),
		":claimed": str(StatusClaimed),
		":shard":   str(openShard(req.Key)),
		":app":     str(req.AppID),
	}
	if !req.Redrive {
		values[":dead"] = str(StatusDeadLettered)
	}
	out, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.table),
		Key:                       keyOf(req.Key),
		UpdateExpression:          aws.String("SET leaseUntil = :lease, #status = :claimed, openShard = :shard, appId = :app ADD attempts :one"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#status": AttrStatus},
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err == nil {
		run, derr := decodeRun(out.Attributes)
		if derr != nil {
			return Claim{}, fmt.Errorf("ledger: claim %s: %w", req.Key, derr)
		}
		if run.UnsettledSince.IsZero() {
			// Every earlier attempt ended knowing that it created
			// nothing (a redrive of a settled run): nothing to resolve.
			return Claim{State: ClaimFresh, Run: run}, nil
		}
		return Claim{State: ClaimUnresolved, Run: run}, nil
	}
	if !conditionFailed(err) {
		return Claim{}, fmt.Errorf("ledger: claim %s: %w", req.Key, err)
	}
	// The condition failed: read the run to say why.
	run, ok, err := l.Get(ctx, req.Key)
	if err != nil {
		return Claim{}, fmt.Errorf("ledger: claim %s: %w", req.Key, err)
	}
	switch {
	case !ok:
		// The item expired between the two writes; the caller tries again.
		return Claim{}, fmt.Errorf("ledger: claim %s: the run vanished while it was claimed; try again", req.Key)
	case run.Started():
		return Claim{State: ClaimStarted, Run: run}, nil
	case !run.LeaseUntil.IsZero() && !run.LeaseUntil.Before(now):
		return Claim{State: ClaimHeld, Run: run}, nil
	case run.Status == StatusDeadLettered:
		return Claim{State: ClaimDeadLettered, Run: run}, nil
	}
	// A lease that ran out between the update and the read: the caller
	// tries again and takes the run over then.
	return Claim{State: ClaimHeld, Run: run}, nil
}

// Start is what a run's attempt found or created in Qlik.
type Start struct {
	// ReloadID is the reload; empty only for StatusPending.
	ReloadID string
	// Status is the reload's status, or StatusPending.
	Status string
	// Created is true when the run created the reload.
	Created bool
	// StartedAt is when Qlik created the reload (its creationTime), or
	// when the attempt learned of it if Qlik did not say.
	StartedAt time.Time
}

// ConflictError is a run that already records another reload than the one
// an attempt tried to record.
type ConflictError struct {
	Key      Key
	ReloadID string
	Recorded string
}

// Error names both reloads.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("ledger: run %s already records reload %q, not %q", e.Key, e.Recorded, e.ReloadID)
}

// RecordStart records a run's reload and releases the run. Recording the
// same reload twice is harmless; recording another one is a
// *ConflictError.
func (l *Ledger) RecordStart(ctx context.Context, key Key, s Start) error {
	if err := key.validate(); err != nil {
		return fmt.Errorf("ledger: record start: %w", err)
	}
	if s.Status == "" {
		return fmt.Errorf("ledger: record start of %s: empty status", key)
	}
	startedAt := s.StartedAt
	if startedAt.IsZero() {
		startedAt = l.clock.Now()
	}
	set := "SET #status = :status, created = :created, startedAt = :started"
	remove := " REMOVE leaseUntil, unsettledSince"
	values := map[string]types.AttributeValue{
		":status":  str(s.Status),
		":created": &types.AttributeValueMemberBOOL{Value: s.Created},
		":started": str(formatTime(startedAt)),
	}
	cond := "attribute_exists(pk) AND attribute_not_exists(startedAt)"
	if s.ReloadID != "" {
		set += ", reloadId = :rid"
		values[":rid"] = str(s.ReloadID)
		cond = "attribute_exists(pk) AND (attribute_not_exists(startedAt) OR reloadId = :rid)"
	}
	if FinalStatus(s.Status) {
		remove += ", openShard"
	}
	_, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.table),
		Key:                       keyOf(key),
		UpdateExpression:          aws.String(set + remove),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#status": AttrStatus},
		ExpressionAttributeValues: values,
	})
	if err == nil {
		return nil
	}
	if !conditionFailed(err) {
		return fmt.Errorf("ledger: record reload %s of %s: %w", s.ReloadID, key, err)
	}
	run, ok, gerr := l.Get(ctx, key)
	if gerr != nil {
		return fmt.Errorf("ledger: record reload %s of %s: %w", s.ReloadID, key, gerr)
	}
	if !ok {
		return fmt.Errorf("ledger: record reload %s of %s: the run is not in the ledger (it was never claimed, or expired)", s.ReloadID, key)
	}
	return &ConflictError{Key: key, ReloadID: s.ReloadID, Recorded: run.ReloadID}
}

// Failure is an attempt that ended without a reload.
type Failure struct {
	// ErrorType classifies the failure (the error kinds of the reload
	// handler, or TooLate).
	ErrorType string
	// Settled says that the attempt knows no reload of the run exists:
	// Qlik refused the app or the request outright. A later attempt then
	// has nothing to resolve.
	Settled bool
	// DeadLettered says that the run went to the dead-letter queue: it
	// gets that final status and leaves the open index.
	DeadLettered bool
}

// ErrStarted is returned by RecordFailure when the run already has its
// reload: the failure of a late attempt does not overwrite it.
var ErrStarted = errors.New("ledger: the run already has its reload")

// RecordFailure records an attempt that failed and releases the run, so
// that the next delivery of its message can take it over at once.
func (l *Ledger) RecordFailure(ctx context.Context, key Key, f Failure) error {
	if err := key.validate(); err != nil {
		return fmt.Errorf("ledger: record failure: %w", err)
	}
	set := "SET lastError = :err"
	remove := " REMOVE leaseUntil"
	values := map[string]types.AttributeValue{":err": str(f.ErrorType)}
	names := map[string]string(nil)
	if f.Settled {
		remove += ", unsettledSince"
	}
	if f.DeadLettered {
		set += ", #status = :dead"
		remove += ", openShard"
		values[":dead"] = str(StatusDeadLettered)
		names = map[string]string{"#status": AttrStatus}
	}
	_, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.table),
		Key:                       keyOf(key),
		UpdateExpression:          aws.String(set + remove),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(startedAt)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if conditionFailed(err) {
		return fmt.Errorf("ledger: record failure %s of %s: %w", f.ErrorType, key, ErrStarted)
	}
	if err != nil {
		return fmt.Errorf("ledger: record failure %s of %s: %w", f.ErrorType, key, err)
	}
	return nil
}

// Get reads a run with a strongly consistent read; ok is false when the
// ledger has no such run.
func (l *Ledger) Get(ctx context.Context, key Key) (run Run, ok bool, err error) {
	out, err := l.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(l.table),
		Key:            keyOf(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Run{}, false, fmt.Errorf("ledger: read run %s: %w", key, err)
	}
	if len(out.Item) == 0 {
		return Run{}, false, nil
	}
	run, err = decodeRun(out.Item)
	if err != nil {
		return Run{}, false, fmt.Errorf("ledger: read run %s: %w", key, err)
	}
	return run, true, nil
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// openShard spreads runs over the index's shards by their key.
func openShard(k Key) string {
	h := fnv.New32a()
	h.Write([]byte(k.PK()))
	h.Write([]byte{0})
	h.Write([]byte(k.SK()))
	return OpenShardValues()[h.Sum32()%OpenShards]
}

func keyOf(k Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(k.PK()), AttrSK: str(k.SK())}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// item encodes a run for PutItem; empty and zero fields stay out.
func (r Run) item() map[string]types.AttributeValue {
	it := keyOf(r.Key)
	it[AttrAppID] = str(r.AppID)
	it[AttrScheduledTime] = str(formatScheduled(r.ScheduledTime))
	it[AttrAttempts] = num(int64(r.Attempts))
	it[AttrStatus] = str(r.Status)
	it[AttrClaimedAt] = str(formatTime(r.ClaimedAt))
	it[AttrExpiresAt] = num(r.ExpiresAt.Unix())
	it[AttrRunDay] = str(runDay(r.ScheduledTime))
	if r.Row != "" {
		it[AttrRow] = str(r.Row)
	}
	if r.OpenShard != "" {
		it[AttrOpenShard] = str(r.OpenShard)
	}
	if !r.LeaseUntil.IsZero() {
		it[AttrLeaseUntil] = str(formatTime(r.LeaseUntil))
	}
	if !r.UnsettledSince.IsZero() {
		it[AttrUnsettledSince] = str(formatTime(r.UnsettledSince))
	}
	if r.ReloadID != "" {
		it[AttrReloadID] = str(r.ReloadID)
	}
	if !r.StartedAt.IsZero() {
		it[AttrStartedAt] = str(formatTime(r.StartedAt))
		it[AttrCreated] = &types.AttributeValueMemberBOOL{Value: r.Created}
	}
	if r.LastError != "" {
		it[AttrLastError] = str(r.LastError)
	}
	if r.TimeZone != "" {
		it[AttrTimeZone] = str(r.TimeZone)
	}
	return it
}

// decodeRun reads an item; attributes it does not know are ignored, so
// that later writers (the run's outcome) can add their own.
func decodeRun(it map[string]types.AttributeValue) (Run, error) {
	var r Run
	var errs []error
	getS := func(name string) string {
		if v, ok := it[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	getT := func(name string) time.Time {
		s := getS(name)
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", name, err))
		}
		return t
	}
	getN := func(name string) int64 {
		v, ok := it[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", name, err))
		}
		return n
	}
	r.Row = getS(AttrRow)
	r.AppID = getS(AttrAppID)
	r.ScheduledTime = getT(AttrScheduledTime)
	r.Attempts = int(getN(AttrAttempts))
	r.ReloadID = getS(AttrReloadID)
	r.Status = getS(AttrStatus)
	if v, ok := it[AttrCreated].(*types.AttributeValueMemberBOOL); ok {
		r.Created = v.Value
	}
	r.ClaimedAt = getT(AttrClaimedAt)
	r.StartedAt = getT(AttrStartedAt)
	r.LastError = getS(AttrLastError)
	r.OpenShard = getS(AttrOpenShard)
	if n := getN(AttrExpiresAt); n != 0 {
		r.ExpiresAt = time.Unix(n, 0).UTC()
	}
	r.LeaseUntil = getT(AttrLeaseUntil)
	r.UnsettledSince = getT(AttrUnsettledSince)
	r.TimeZone = getS(AttrTimeZone)
	r.Checks = int(getN(AttrChecks))
	r.NextCheckAt = getT(AttrNextCheckAt)
	r.EndedAt = getT(AttrEndedAt)
	r.Duration = time.Duration(getN(AttrDurationMs)) * time.Millisecond
	r.ErrorSummary = getS(AttrErrorSummary)
	r.OverdueAt = getT(AttrOverdueAt)
	r.AlertPending = getS(AttrAlertPending) != ""
	if len(errs) > 0 {
		return Run{}, fmt.Errorf("malformed run item %s/%s: %w", getS(AttrPK), getS(AttrSK), errors.Join(errs...))
	}
	return r, nil
}
