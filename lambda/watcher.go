package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/watch"
)

// QLIK_MODE chooses what the process is: the reload function (the
// default) or the watcher, which the stacks deploy as a second function of
// the same build with a role of its own.
const (
	envMode     = "QLIK_MODE"
	modeReload  = "reload"
	modeWatcher = "watcher"
)

// Environment variables of the watcher, set by the stacks.
const (
	envAlarmTopicARN       = "QLIK_ALARM_TOPIC_ARN"
	envEnvironment         = "QLIK_ENVIRONMENT"
	envWatchReadsPerMinute = "QLIK_WATCH_READS_PER_MINUTE"
	envMaxRunHours         = "QLIK_MAX_RUN_HOURS"
)

// watchConfig is where the watcher reads runs and sends alerts.
type watchConfig struct {
	LedgerTable    string
	HistoryDays    int
	TopicARN       string
	Environment    string
	ReadsPerMinute int
	MaxRun         time.Duration
	// StartQueueURL is where chains send the rows they start; set only
	// when the table has chains.
	StartQueueURL string
}

var (
	topicARN    = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`)
	environment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)
)

// loadWatchConfig reads the watcher's variables.
func loadWatchConfig(getenv func(string) string) (watchConfig, []error) {
	wc := watchConfig{
		LedgerTable:   strings.TrimSpace(getenv(envLedgerTable)),
		TopicARN:      strings.TrimSpace(getenv(envAlarmTopicARN)),
		Environment:   strings.TrimSpace(getenv(envEnvironment)),
		StartQueueURL: strings.TrimSpace(getenv(envStartQueueURL)),
	}
	var errs []error
	if err := checkLedgerTable(wc.LedgerTable); err != nil {
		errs = append(errs, err)
	}
	if !topicARN.MatchString(wc.TopicARN) {
		errs = append(errs, fmt.Errorf("%s=%q: set it to the alarm topic's ARN, such as arn:aws:sns:eu-west-1:123456789012:alarms", envAlarmTopicARN, wc.TopicARN))
	}
	if !environment.MatchString(wc.Environment) {
		errs = append(errs, fmt.Errorf("%s=%q: set it to the environment's name (the config file's name), such as prod", envEnvironment, wc.Environment))
	}
	var err error
	if wc.ReadsPerMinute, err = integer(getenv, envWatchReadsPerMinute, watch.DefaultReadsPerMinute, 1, 1000); err != nil {
		errs = append(errs, err)
	}
	hours, err := integer(getenv, envMaxRunHours, int(watch.DefaultMaxRun/time.Hour), 1, 168)
	if err != nil {
		errs = append(errs, err)
	}
	wc.MaxRun = time.Duration(hours) * time.Hour
	if wc.HistoryDays, err = integer(getenv, envHistoryDays, ledger.DefaultHistoryDays, 1, 36500); err != nil {
		errs = append(errs, err)
	}
	return wc, errs
}

// watchEvent is the event the watcher's schedule sends: {"watch": "runs"}.
type watchEvent struct {
	Watch string `json:"watch"`
}

// watchInvoker runs one round per invocation and returns its report. Any
// other event, and any round that failed, fails the invocation, so that
// the watcher's error alarm fires.
func watchInvoker(w *watch.Watcher) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var ev watchEvent
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil || ev.Watch != "runs" {
			return nil, messages.InvokeResponse_Error{Type: "InvalidEvent",
				Message: `the watcher takes the event {"watch": "runs"} from its schedule; this payload is not it`}
		}
		rep, err := w.Run(ctx)
		if err != nil {
			return nil, messages.InvokeResponse_Error{Type: "WatchFailed", Message: err.Error()}
		}
		return rep, nil
	}
}
