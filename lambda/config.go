package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/runs"
)

// Environment variables read by the function.
const (
	envTenantURL      = "QLIK_TENANT_URL"
	envSecretID       = "QLIK_API_KEY_SECRET_ID"
	envWaitTimeout    = "QLIK_WAIT_TIMEOUT"
	envRequestTimeout = "QLIK_REQUEST_TIMEOUT"
	envSecretTTL      = "QLIK_SECRET_TTL"
	envFunctionName   = "AWS_LAMBDA_FUNCTION_NAME"
)

// Environment variables of the start queue and the run ledger, set by the
// stacks.
const (
	envLedgerTable     = "QLIK_LEDGER_TABLE"
	envStartQueueURL   = "QLIK_START_QUEUE_URL"
	envDeadLetterQueue = "QLIK_DEAD_LETTER_QUEUE_URL"
	envMaxDelayMinutes = "QLIK_MAX_DELAY_MINUTES"
	envHistoryDays     = "QLIK_HISTORY_DAYS"
)

// functionTimeout is the reload function's timeout, as the stack sets it
// (functionTimeoutSeconds in stacks/function.go).
const functionTimeout = 120 * time.Second

// maxRequestTimeout bounds QLIK_REQUEST_TIMEOUT. The POST that starts a
// reload is sent only while one attempt and a look-up of its outcome (one
// more request) fit before the deadline, after the app and list checks, so
// a request may take well under half of the function's timeout.
const maxRequestTimeout = 50 * time.Second

// config is the function's configuration, read once from the environment.
type config struct {
	TenantURL      string
	SecretID       string
	WaitTimeout    time.Duration
	RequestTimeout time.Duration
	SecretTTL      time.Duration
	FunctionName   string
	Runs           runsConfig
	// Watch is set when the process is the watcher (QLIK_MODE=watcher);
	// Runs is then empty.
	Watch *watchConfig
}

// runsConfig is where runs are queued and recorded.
type runsConfig struct {
	LedgerTable        string
	StartQueueURL      string
	DeadLetterQueueURL string
	MaxDelay           time.Duration
	HistoryDays        int
}

// loadConfig reads the configuration through getenv and reports every
// problem at once, each naming its variable.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		TenantURL:    strings.TrimSpace(getenv(envTenantURL)),
		SecretID:     strings.TrimSpace(getenv(envSecretID)),
		FunctionName: getenv(envFunctionName),
	}
	var errs []error
	switch {
	case cfg.TenantURL == "":
		errs = append(errs, fmt.Errorf("%s is not set: set it to the tenant's base URL, such as https://example.eu.qlikcloud.com", envTenantURL))
	default:
		u, err := qlik.ParseTenantURL(cfg.TenantURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", envTenantURL, err))
		} else {
			cfg.TenantURL = u.String()
		}
	}
	switch {
	case cfg.SecretID == "":
		errs = append(errs, fmt.Errorf("%s is not set: set it to the name or ARN of the Secrets Manager secret that holds the Qlik credential", envSecretID))
	case strings.ContainsFunc(cfg.SecretID, func(r rune) bool { return r <= ' ' }):
		errs = append(errs, fmt.Errorf("%s=%q: a secret name or ARN has no spaces or control characters", envSecretID, cfg.SecretID))
	}
	var err error
	if cfg.WaitTimeout, err = duration(getenv, envWaitTimeout, reload.DefaultWaitTimeout, 0, 15*time.Minute, true); err != nil {
		errs = append(errs, err)
	}
	if cfg.RequestTimeout, err = duration(getenv, envRequestTimeout, qlik.DefaultRequestTimeout, 0, maxRequestTimeout, false); err != nil {
		errs = append(errs, fmt.Errorf("%w: the reload is started only while one request and a look-up of its outcome still fit in the function's %s timeout", err, functionTimeout))
	}
	if cfg.SecretTTL, err = duration(getenv, envSecretTTL, credential.DefaultTTL, 0, 24*time.Hour, true); err != nil {
		errs = append(errs, err)
	}
	var runErrs []error
	switch mode := strings.TrimSpace(getenv(envMode)); mode {
	case "", modeReload:
		cfg.Runs, runErrs = loadRunsConfig(getenv)
	case modeWatcher:
		cfg.Watch = &watchConfig{}
		*cfg.Watch, runErrs = loadWatchConfig(getenv)
	default:
		runErrs = []error{fmt.Errorf("%s=%q: must be %s (the default) or %s", envMode, mode, modeReload, modeWatcher)}
	}
	errs = append(errs, runErrs...)
	if len(errs) > 0 {
		return config{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// duration reads an optional Go duration within [lo, hi] (lo itself only
// when zeroOK), using def when the variable is unset or empty.
func duration(getenv func(string) string, name string, def, lo, hi time.Duration, zeroOK bool) (time.Duration, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a duration; write one such as 500ms, 5s or 2m", name, raw)
	}
	if d < lo || d > hi || (d == 0 && !zeroOK) {
		lower := "0"
		if !zeroOK {
			lower = "above 0"
		}
		return 0, fmt.Errorf("%s=%q: must be from %s to %s", name, raw, lower, hi)
	}
	return d, nil
}

// tableName is DynamoDB's pattern for table names.
var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// loadRunsConfig reads the start queue's and the ledger's variables.
func loadRunsConfig(getenv func(string) string) (runsConfig, []error) {
	rc := runsConfig{
		LedgerTable:        strings.TrimSpace(getenv(envLedgerTable)),
		StartQueueURL:      strings.TrimSpace(getenv(envStartQueueURL)),
		DeadLetterQueueURL: strings.TrimSpace(getenv(envDeadLetterQueue)),
	}
	var errs []error
	if err := checkLedgerTable(rc.LedgerTable); err != nil {
		errs = append(errs, err)
	}
	for _, q := range []struct{ name, value string }{{envStartQueueURL, rc.StartQueueURL}, {envDeadLetterQueue, rc.DeadLetterQueueURL}} {
		if q.value == "" {
			errs = append(errs, fmt.Errorf("%s is not set: set it to the queue's URL, such as https://sqs.eu-west-1.amazonaws.com/123456789012/name", q.name))
			continue
		}
		if u, err := url.Parse(q.value); err != nil || u.Scheme != "https" || u.Host == "" || u.Path == "" {
			errs = append(errs, fmt.Errorf("%s=%q: not a queue URL such as https://sqs.eu-west-1.amazonaws.com/123456789012/name", q.name, q.value))
		}
	}
	minutes, err := integer(getenv, envMaxDelayMinutes, 60, runs.MinMaxDelayMinutes, runs.MaxMaxDelayMinutes)
	if err != nil {
		errs = append(errs, err)
	}
	rc.MaxDelay = time.Duration(minutes) * time.Minute
	if rc.HistoryDays, err = integer(getenv, envHistoryDays, ledger.DefaultHistoryDays, 1, 36500); err != nil {
		errs = append(errs, err)
	}
	return rc, errs
}

// checkLedgerTable checks the ledger table's name.
func checkLedgerTable(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s is not set: set it to the name of the run ledger's DynamoDB table", envLedgerTable)
	case !tableName.MatchString(name):
		return fmt.Errorf("%s=%q: not a DynamoDB table name (3 to 255 letters, digits, _ . -)", envLedgerTable, name)
	}
	return nil
}

// integer reads an optional whole number within [lo, hi], using def when
// the variable is unset or empty.
func integer(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: must be a whole number from %d to %d", name, raw, lo, hi)
	}
	return n, nil
}
