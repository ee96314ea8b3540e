// Command lambda is the reload function: an AWS Lambda function for the
// provided.al2023 runtime that reads the start queue, where EventBridge
// Scheduler puts each row's run, and starts each run's Qlik Cloud reload
// exactly once, recording it in the run ledger. It can also be invoked
// directly with {"appId": "<GUID>"}.
//
// Build it from the repository root:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc \
//	    -trimpath -buildvcs=false -ldflags "-s -w -buildid=" -o bootstrap ./lambda
//
// This package only wires: it reads the environment once, builds typed
// values and hands them to internal/runs, internal/ledger, internal/reload,
// internal/qlik and internal/credential. Nothing below main reads the
// environment.
//
// # Start-queue batches
//
// A payload whose Records come from aws:sqs is a batch of the start
// queue's event source mapping. Each message is a row's event plus its
// row, scheduledTime and, when the row sets one, maxDelayMinutes; an event
// rule adds the row's debounceMinutes (the run is then scheduledTime
// floored to that window), and a chain adds dueAt (the run's lateness
// counts from it rather than from its upstream's scheduledTime). The
// answer lists the messages that must come back (ReportBatchItemFailures):
// those put back for a rate limit, a transient failure or a credential
// failure, each with ChangeMessageVisibility set to its delay. Runs later
// than their lateness bound and failures only a person can fix are sent
// to the dead-letter queue with the message attributes errorType and
// reason, and count as processed. See internal/runs.
//
// # The watcher
//
// With QLIK_MODE=watcher the same build is the watcher, a second function
// with a role of its own that a schedule invokes every minute with
// {"watch": "runs"} (any other event fails with InvalidEvent). Each
// invocation runs one round of internal/watch: it reads the ledger's open
// runs through the index "open", asks Qlik for the reloads whose check is
// due within the read budget, records their ends, alerts failures to the
// alarm topic and returns its report ({"due", "reads", "finished",
// "alerts", "overdue", "rateLimited"}). A round that failed (the ledger,
// Qlik other than its rate limit, the topic) fails the invocation. Its
// variables, set by the stacks: QLIK_TENANT_URL, QLIK_API_KEY_SECRET_ID,
// QLIK_LEDGER_TABLE, QLIK_ALARM_TOPIC_ARN, QLIK_ENVIRONMENT (the
// environment's name, for alerts and the metrics' Environment dimension),
// QLIK_WATCH_READS_PER_MINUTE (default 100, 1 to 1000),
// QLIK_MAX_RUN_HOURS (default 12, 1 to 168) and QLIK_HISTORY_DAYS; the SDK
// reaches SNS through AWS_ENDPOINT_URL_SNS when set.
//
// # Event
//
// A JSON object with appId (the app's GUID, required) and optionally
// partial (true or false), variables (an object of at most 20 strings,
// names and values at most 256 characters) and weight (1 to 10). Any other
// member is an error naming it.
//
// # Result
//
// {"appId": "...", "reloadId": "...", "status": "RELOADING", "created": true,
// "creationTime": "..."}. status is Qlik's status when the function
// returned; created is false when the invocation found a reload already
// active. After Qlik's "a pending reload request already exists" answer,
// created is false, a detail member says so, and reloadId and status are
// empty if the pending reload was not listed yet. The invocation fails (a function error, which
// Lambda retries and finally sends to the failure destination) exactly when
// no reload was created or found; the error type classifies the cause
// (InvalidEvent, CredentialUnavailable, CredentialRejected, AppNotFound,
// AppNotReloadable, ReloadRejected, RateLimited, TenantUnavailable,
// OutcomeUnknown) and the message names the fix.
//
// # Environment
//
// Required:
//
//   - QLIK_TENANT_URL: the tenant's base URL, such as
//     https://example.eu.qlikcloud.com. https only; plain http is accepted
//     for 127.0.0.1, ::1 and localhost so that local fakes can stand in.
//   - QLIK_API_KEY_SECRET_ID: name or ARN of the Secrets Manager secret
//     whose SecretString is the bare API key, {"key": "..."}, or
//     {"clientId": "...", "clientSecret": "..."} for an OAuth2
//     machine-to-machine client.
//
// Optional, as Go durations (500ms, 5s, 2m); a value that does not parse or
// is out of range stops the function at start-up with an error naming the
// variable:
//
//   - QLIK_WAIT_TIMEOUT (default 5s, 0 to 15m): how long to poll a new
//     reload for it to leave QUEUED. 0 returns right after the 201.
//   - QLIK_REQUEST_TIMEOUT (default 10s, above 0 up to 50s): bound of one
//     HTTP request to the tenant; the invocation's deadline bounds it too.
//     The POST that starts a reload is sent only while it and a look-up of
//     its outcome (two request timeouts) fit before the deadline, so the
//     bound keeps well under half of the function's 120 s timeout.
//   - QLIK_SECRET_TTL (default 5m, 0 to 24h): how long a warm process keeps
//     the secret before reading it again, in wall time (also across the
//     time Lambda keeps the process frozen). 0 reads it once per invocation
//     (an OAuth access token is cached regardless).
//
// Set by the stacks, for the start queue and the run ledger (the first
// three required):
//
//   - QLIK_LEDGER_TABLE: the run ledger's DynamoDB table.
//   - QLIK_START_QUEUE_URL: the start queue, where messages are put back.
//   - QLIK_DEAD_LETTER_QUEUE_URL: the dead-letter queue.
//   - QLIK_MAX_DELAY_MINUTES (default 60, 1 to 1440): the environment's
//     lateness bound; a row's maxDelayMinutes overrides it.
//   - QLIK_HISTORY_DAYS (default 90): how long runs stay in the ledger.
//
// The AWS SDK reads its own variables as usual (AWS_REGION, credentials,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_DYNAMODB,
// AWS_ENDPOINT_URL_SQS). AWS_LAMBDA_FUNCTION_NAME names the
// metrics' FunctionName dimension; AWS_LAMBDA_LOG_FORMAT and
// AWS_LAMBDA_LOG_LEVEL (set by the function's logging configuration)
// choose JSON or text logs and the level.
//
// # Observability
//
// Logs are log/slog records through aws-lambda-go's lambdacontext handler,
// carrying requestId, appId, reloadId and status. Each direct invocation
// also writes one CloudWatch embedded metric format line in the namespace
// QlikReloadTriggers, dimension FunctionName: ReloadsStarted,
// ReloadsAlreadyActive, TriggerFailures and ReloadsFailed (a new reload
// seen FAILED or EXCEEDED_LIMIT while waiting). Each start-queue message
// writes one line with ReloadsStarted, ReloadsAlreadyActive,
// RunsRateLimited, RunsRetried, RunsDeadLettered (and
// RunsDeadLettered<errorType>) and StartLateness (ms from the scheduled
// time to Qlik's creation of the reload). The app id and the row are
// properties of those lines, never dimensions.
package main
