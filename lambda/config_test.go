package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfig(t *testing.T) {
	base := map[string]string{
		"QLIK_TENANT_URL":            "https://example.eu.qlikcloud.com/",
		"QLIK_API_KEY_SECRET_ID":     "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qlik-AbCdEf",
		"AWS_LAMBDA_FUNCTION_NAME":   "reload-prod",
		"QLIK_LEDGER_TABLE":          "QlikReloads-prod-Ledger-1A2B3C",
		"QLIK_START_QUEUE_URL":       "https://sqs.eu-west-1.amazonaws.com/123456789012/QlikReloads-prod-Start",
		"QLIK_DEAD_LETTER_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/QlikReloads-prod-Dead",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	defaults := config{
		TenantURL:      "https://example.eu.qlikcloud.com",
		SecretID:       base["QLIK_API_KEY_SECRET_ID"],
		WaitTimeout:    5 * time.Second,
		RequestTimeout: 10 * time.Second,
		SecretTTL:      5 * time.Minute,
		FunctionName:   "reload-prod",
		Runs: runsConfig{
			LedgerTable:        base["QLIK_LEDGER_TABLE"],
			StartQueueURL:      base["QLIK_START_QUEUE_URL"],
			DeadLetterQueueURL: base["QLIK_DEAD_LETTER_QUEUE_URL"],
			MaxDelay:           time.Hour,
			HistoryDays:        90,
		},
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr []string
	}{
		{name: "defaults", env: base, want: defaults},
		{
			name: "knobs set",
			env:  with("QLIK_WAIT_TIMEOUT", "0", "QLIK_REQUEST_TIMEOUT", "2500ms", "QLIK_SECRET_TTL", "0s"),
			want: func() config {
				c := defaults
				c.WaitTimeout, c.RequestTimeout, c.SecretTTL = 0, 2500*time.Millisecond, 0
				return c
			}(),
		},
		{
			name: "loopback http",
			env:  with("QLIK_TENANT_URL", "http://127.0.0.1:8080"),
			want: func() config { c := defaults; c.TenantURL = "http://127.0.0.1:8080"; return c }(),
		},
		{name: "empty knob means default", env: with("QLIK_WAIT_TIMEOUT", " "), want: defaults},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"QLIK_TENANT_URL is not set", "QLIK_API_KEY_SECRET_ID is not set"}},
		{name: "plain http to a remote host", env: with("QLIK_TENANT_URL", "http://example.eu.qlikcloud.com"), wantErr: []string{"QLIK_TENANT_URL", "must use https"}},
		{name: "secret id with a space", env: with("QLIK_API_KEY_SECRET_ID", "my secret"), wantErr: []string{"QLIK_API_KEY_SECRET_ID=\"my secret\""}},
		{name: "wait without unit", env: with("QLIK_WAIT_TIMEOUT", "5"), wantErr: []string{`QLIK_WAIT_TIMEOUT="5": not a duration`}},
		{name: "negative wait", env: with("QLIK_WAIT_TIMEOUT", "-1s"), wantErr: []string{`QLIK_WAIT_TIMEOUT="-1s": must be from 0 to 15m0s`}},
		{name: "wait too long", env: with("QLIK_WAIT_TIMEOUT", "1h"), wantErr: []string{"QLIK_WAIT_TIMEOUT"}},
		{name: "zero request timeout", env: with("QLIK_REQUEST_TIMEOUT", "0"), wantErr: []string{`QLIK_REQUEST_TIMEOUT="0": must be from above 0 to 50s`}},
		{
			name:    "request timeout that leaves no time for a look-up in the function's timeout",
			env:     with("QLIK_REQUEST_TIMEOUT", "2m"),
			wantErr: []string{`QLIK_REQUEST_TIMEOUT="2m": must be from above 0 to 50s`, "look-up of its outcome", "2m0s timeout"},
		},
		{
			name: "longest request timeout",
			env:  with("QLIK_REQUEST_TIMEOUT", "50s"),
			want: func() config { c := defaults; c.RequestTimeout = 50 * time.Second; return c }(),
		},
		{name: "bad TTL", env: with("QLIK_SECRET_TTL", "forever"), wantErr: []string{"QLIK_SECRET_TTL"}},
		{
			name: "lateness bound and history set",
			env:  with("QLIK_MAX_DELAY_MINUTES", "15", "QLIK_HISTORY_DAYS", "400"),
			want: func() config { c := defaults; c.Runs.MaxDelay, c.Runs.HistoryDays = 15*time.Minute, 400; return c }(),
		},
		{name: "no ledger or queues", env: with("QLIK_LEDGER_TABLE", "", "QLIK_START_QUEUE_URL", "", "QLIK_DEAD_LETTER_QUEUE_URL", ""),
			wantErr: []string{"QLIK_LEDGER_TABLE is not set", "QLIK_START_QUEUE_URL is not set", "QLIK_DEAD_LETTER_QUEUE_URL is not set"}},
		{name: "queue name instead of URL", env: with("QLIK_START_QUEUE_URL", "QlikReloads-prod-Start"), wantErr: []string{`QLIK_START_QUEUE_URL="QlikReloads-prod-Start": not a queue URL`}},
		{name: "table ARN instead of name", env: with("QLIK_LEDGER_TABLE", "arn:aws:dynamodb:eu-west-1:123456789012:table/x"), wantErr: []string{"QLIK_LEDGER_TABLE", "not a DynamoDB table name"}},
		{name: "lateness bound out of range", env: with("QLIK_MAX_DELAY_MINUTES", "0"), wantErr: []string{`QLIK_MAX_DELAY_MINUTES="0": must be a whole number from 1 to 1440`}},
		{name: "history not a number", env: with("QLIK_HISTORY_DAYS", "90d"), wantErr: []string{`QLIK_HISTORY_DAYS="90d"`}},
		{
			name: "watcher",
			env: with("QLIK_MODE", "watcher", "QLIK_START_QUEUE_URL", "", "QLIK_DEAD_LETTER_QUEUE_URL", "",
				"QLIK_ALARM_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:QlikReloads-prod-Alarms", "QLIK_ENVIRONMENT", "prod",
				"QLIK_WATCH_READS_PER_MINUTE", "50"),
			want: func() config {
				c := defaults
				c.Runs = runsConfig{}
				c.Watch = &watchConfig{LedgerTable: base["QLIK_LEDGER_TABLE"], HistoryDays: 90,
					TopicARN: "arn:aws:sns:eu-west-1:123456789012:QlikReloads-prod-Alarms", Environment: "prod",
					ReadsPerMinute: 50, MaxRun: 12 * time.Hour}
				return c
			}(),
		},
		{name: "watcher without topic or environment", env: with("QLIK_MODE", "watcher", "QLIK_MAX_RUN_HOURS", "0"),
			wantErr: []string{"QLIK_ALARM_TOPIC_ARN", "QLIK_ENVIRONMENT", `QLIK_MAX_RUN_HOURS="0"`}},
		{name: "watcher budget over Qlik's limit", env: with("QLIK_MODE", "watcher", "QLIK_WATCH_READS_PER_MINUTE", "5000"),
			wantErr: []string{`QLIK_WATCH_READS_PER_MINUTE="5000": must be a whole number from 1 to 1000`}},
		{name: "unknown mode", env: with("QLIK_MODE", "watch"), wantErr: []string{`QLIK_MODE="watch": must be reload (the default) or watcher`}},
		{
			name:    "every problem at once",
			env:     with("QLIK_TENANT_URL", "", "QLIK_WAIT_TIMEOUT", "x", "QLIK_SECRET_TTL", "48h"),
			wantErr: []string{"QLIK_TENANT_URL", "QLIK_WAIT_TIMEOUT", "QLIK_SECRET_TTL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("loadConfig = %+v, want an error", got)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("config mismatch (-got +want):\n%s", diff)
			}
		})
	}
}
