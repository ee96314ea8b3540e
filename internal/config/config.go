// Package config loads and validates one environment's reload table: the YAML
// file under config/ that a BI admin edits and a reviewer approves.
//
// Loading (Load, LoadFile) is a pure function over bytes. It is strict
// (unknown keys are errors), reports every problem at once with file, line
// and field (Problems), and applies every default in one place, so that the
// stacks never see a value that CloudFormation or EventBridge Scheduler would
// reject at deploy time. config/schema.json describes the same file for
// editors; a test keeps the two in agreement.
// This package must not import the CDK: its tests run in seconds.
package config

// Config is one environment's validated configuration, with every default
// applied.
type Config struct {
	// Name is the environment's name, taken from the file's base name
	// without its extension (config/prod.yaml is "prod"). It names the
	// stacks, so it is validated as a CloudFormation stack name part.
	Name string
	// Path is the file the configuration was read from, as the caller gave
	// it. It appears in messages only, never in templates, so that the same
	// file synthesizes the same templates from any directory.
	Path string
	// Warnings are what the file sets validly but probably does not mean
	// (a time zone that is a fixed offset, an app's address given for its
	// ID), each with its line, sorted by line. They do not stop a synth;
	// the summary of make synth prints them.
	Warnings Problems

	// TenantURL is the Qlik Cloud tenant's base URL: https, no path, no
	// query, no trailing slash (a trailing slash in the file is removed).
	TenantURL string
	// Account and Region pin the stacks' environment when both are set.
	// Either alone is an error; neither leaves the stacks environment
	// agnostic.
	Account string
	Region  string
	// Timezone is the default IANA time zone of the rows (default "UTC").
	Timezone string
	// AlarmEmail, when set, subscribes this address to the alarm topic.
	AlarmEmail string

	// FlexibleWindowMinutes is the default flexible time window of the rows
	// in minutes: 0 (the default) means OFF, exactly on time; 1 to 1440 lets
	// EventBridge Scheduler spread invocations over that many minutes.
	FlexibleWindowMinutes int
	// ReservedConcurrency caps how many reload functions run at once. 0 (the
	// default) leaves it unset, so the account's unreserved pool is used.
	ReservedConcurrency int
	// WaitSeconds is how long the function watches a reload it started for
	// it to leave Qlik's queue, so that its result and log can say whether
	// the reload runs (default 5). 0 returns as soon as Qlik accepted the
	// reload, which spares Qlik's read rate limit when many reloads start
	// together.
	WaitSeconds int
	// Concurrency is how many reload functions the start queue's event
	// source mapping runs at once, 2 to 1000 (default 5). It paces the
	// reloads of a burst; reservedConcurrency still caps the function as a
	// whole.
	Concurrency int
	// MaxDelayMinutes is how late a scheduled run may start, 1 to 1440
	// (default 60): a run older than that is not started but dead-lettered
	// as TooLate. A row may set its own.
	MaxDelayMinutes int
	// HistoryDays is how long the ledger keeps a run, 15 to 3653 days
	// (default 90); DynamoDB's time to live removes it afterwards.
	HistoryDays int
	// WatchReadsPerMinute is the most Qlik reads the watcher spends a
	// minute following runs to their end, 1 to 500 (default 100).
	WatchReadsPerMinute int
	// MaxRunHours is how long a run may stay unfinished before the watcher
	// flags it overdue, 1 to 168 (default 12).
	MaxRunHours int
	// ScheduleStacks is how many stacks the schedules are spread over
	// (default 1). Rows are assigned by a hash of their name (see
	// StackIndex), so adding, removing or reordering rows never moves
	// another row; changing ScheduleStacks does.
	ScheduleStacks int
	// ScheduleStacksHighWater is the most schedule stacks the environment
	// has deployed (default, and at least, ScheduleStacks). The stacks from
	// ScheduleStacks up to it are synthesized empty, so that a deployment
	// after lowering scheduleStacks deletes them with their schedules
	// instead of leaving them deployed and firing.
	ScheduleStacksHighWater int
	// LogRetentionDays is the function's log retention in days (default
	// 90). It is one of the values CloudWatch Logs accepts, or
	// LogRetentionNever.
	LogRetentionDays int
	// ExistingSecretArn, when set, is the complete ARN (with its six
	// character suffix) of a Secrets Manager secret that already holds the
	// Qlik credential; no secret is created then.
	ExistingSecretArn string
	// KMSKeyArn, when set, is the ARN of the customer-managed KMS key that
	// encrypts the secret, the function's log group, the queues and the
	// alarm topic; the roles may use it only through the services that
	// encrypt with it.
	KMSKeyArn string
	// VPC, when not nil, places the functions in its subnets.
	VPC *VPC

	// Reloads holds the rows in file order. File order carries no meaning:
	// nothing in the templates depends on it.
	Reloads []Reload
}

// Reload is one row of the table: what starts one Qlik reload, with every
// default resolved. A row starts in exactly one way: on a schedule (an
// EventBridge Scheduler schedule), after other rows (After), or on an
// event (On, an EventBridge rule).
type Reload struct {
	// Name is the row's identity: unique, lowercase letters, digits and
	// single hyphens, at most 64 characters. Construct IDs derive from it.
	Name string
	// AppID is the Qlik app's GUID, lowercase.
	AppID string
	// Schedule is the expression as written: cron(...), rate(...) or
	// at(...); empty for a row that starts after other rows or on an event.
	Schedule string
	// After names the rows this row runs after, in the order written: it
	// starts once every one of them has SUCCEEDED since its own last start.
	// Empty for a row with a schedule or an event.
	After []string
	// On is the event the row starts on, or nil.
	On *Trigger
	// DebounceMinutes is the window, in minutes, within which an on row's
	// events start one reload (default 5); 0 for other rows.
	DebounceMinutes int
	// Timezone is the effective IANA time zone: the row's own, else the
	// file's default.
	Timezone string
	// Enabled is false when the schedule is kept but DISABLED (default true).
	Enabled bool
	// Partial, when not nil, is passed to the reload as "partial".
	Partial *bool
	// Description is free text for people (at most 512 characters).
	Description string
	// FlexibleWindowMinutes is the effective flexible time window: the
	// row's own, else the file's default; 0 is OFF, and always 0 for a row
	// without a schedule.
	FlexibleWindowMinutes int
	// Weight, when not 0, is the reload's queue weight, 1 to 10.
	Weight int
	// Variables, when not empty, are passed to the reload (at most 20; names
	// and values at most 256 characters). Each value is the text as written
	// in the file, so year: 2024 is "2024". It is nil when the row sets none
	// or an empty mapping.
	Variables map[string]string
	// MaxDelayMinutes is the row's own lateness bound, 1 to 1440, or 0
	// when the row sets none and the file's applies. Only a row's own value
	// is sent in its message; the function knows the file's.
	MaxDelayMinutes int
	// Line is the line of the row's first key in the file, for messages.
	Line int
}
