package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/dynamotest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var dynalite *dynamotest.Server

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m, &dynalite)) }

// now is the command's "now" in the tests.
var now = time.Date(2026, 12, 1, 7, 30, 0, 0, time.UTC)

// cloudFormation answers DescribeStacks in CloudFormation's query
// protocol: QlikReloads-prod has the ledger table's output, any other
// stack does not exist.
func cloudFormation(t *testing.T, table string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "DescribeStacks" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		stack := r.Form.Get("StackName")
		if stack != "QlikReloads-prod" || table == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`, stack)
			return
		}
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>QlikReloads-prod</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/QlikReloads-prod/1</StackId>
<StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime>
<Outputs><member><OutputKey>FunctionName</OutputKey><OutputValue>reload</OutputValue></member>
<member><OutputKey>LedgerTableName</OutputKey><OutputValue>%s</OutputValue></member></Outputs>
</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></DescribeStacksResponse>`, table)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// awsEnv points the SDK at the test's servers with static credentials, and
// away from any profile or instance metadata of the machine.
func awsEnv(t *testing.T, cfn string, credentials bool) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", cfn)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynalite.URL)
	key, secret := "", ""
	if credentials {
		key, secret = "AKIDTEST", "test-secret"
	}
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
}

// fillLedger records runs as the reload function and the watcher would.
func fillLedger(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	table := dynalite.LedgerTable(t)
	clk := clock.NewFake(now)
	led, err := ledger.New(ledger.Config{DB: dynalite.Client(), Table: table, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	const sales, stock = "687ef393-f0ad-4c64-ac59-6db967126015", "116dbfae-7fb9-4983-8e23-5ccd8c508722"
	type run struct {
		row, app, zone string
		at             time.Time
		reload, status string
		took           time.Duration
		summary        string
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	runs := []run{
		{"sales-intraday", sales, "Europe/Stockholm", at("2026-12-01T07:00:00Z"), "65f1c0de0000000000000011", "SUCCEEDED", 4*time.Minute + 12*time.Second, ""},
		{"sales-intraday", sales, "Europe/Stockholm", at("2026-12-01T07:05:00Z"), "65f1c0de0000000000000012", "FAILED", 58 * time.Second,
			"ScriptError: Cannot open file: 'lib://warehouse/sales.qvd'\nLOAD * FROM [lib://warehouse/sales.qvd] (qvd);"},
		{"sales-intraday", sales, "Europe/Stockholm", at("2026-12-01T07:10:00Z"), "65f1c0de0000000000000013", "RELOADING", 0, ""},
		{"stock-nightly", stock, "America/New_York", at("2026-11-30T23:00:00Z"), "65f1c0de0000000000000010", "EXCEEDED_LIMIT", 3 * time.Hour, "ReloadTimeLimitExceeded: the reload ran longer than the tenant allows"},
		{"", stock, "", at("2026-12-01T06:30:00.123Z"), "65f1c0de000000000000000f", "CANCELED", 2 * time.Second, ""},
		{"stock-nightly", stock, "America/New_York", at("2026-11-27T23:00:00Z"), "65f1c0de0000000000000001", "SUCCEEDED", time.Hour, ""},
	}
	for _, r := range runs {
		key := ledger.Key{Row: r.row, AppID: r.app, ScheduledTime: r.at}
		if _, err := led.Claim(ctx, ledger.ClaimRequest{Key: key, LeaseUntil: now.Add(time.Hour), TimeZone: r.zone}); err != nil {
			t.Fatal(err)
		}
		started := r.at.Add(2 * time.Second)
		if err := led.RecordStart(ctx, key, ledger.Start{ReloadID: r.reload, Status: "QUEUED", Created: true, StartedAt: started}); err != nil {
			t.Fatal(err)
		}
		run, _, err := led.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if r.status == "RELOADING" {
			if err := led.RecordCheck(ctx, run, r.status, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := led.RecordFinal(ctx, run, ledger.Final{Status: r.status, EndedAt: started.Add(r.took), Duration: r.took, ErrorSummary: r.summary}); err != nil {
			t.Fatal(err)
		}
	}
	return table
}

// TestHistory runs the command against the ledger on dynalite, found
// through a CloudFormation endpoint, and compares what it prints with
// testdata/*.golden.
func TestHistory(t *testing.T) {
	cfn := cloudFormation(t, fillLedger(t))
	awsEnv(t, cfn.URL, true)
	tests := []struct {
		name string
		args []string
	}{
		{name: "all", args: nil},
		{name: "row", args: []string{"-row", "sales-intraday"}},
		{name: "failed", args: []string{"-failed"}},
		{name: "week", args: []string{"-since", "7d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"-config", "testdata/prod.yaml"}, tt.args...)
			if code := run(context.Background(), args, &stdout, &stderr, func() time.Time { return now }); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
				t.Errorf("output (-want +got), refresh with -update:\n%s", diff)
			}
		})
	}
}

// TestHistoryCannotRun: without credentials, or without the deployed
// stack, the command says so in one line and exits 1.
func TestHistoryCannotRun(t *testing.T) {
	tests := []struct {
		name        string
		credentials bool
		table       string
		want        string
	}{
		{name: "no credentials", credentials: false, table: "ledger", want: "history: no AWS credentials found"},
		{name: "no stack", credentials: true, table: "", want: "history: stack QlikReloads-prod in eu-west-1 is not deployed: deploy the environment first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfn := cloudFormation(t, tt.table)
			awsEnv(t, cfn.URL, tt.credentials)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"-config", "testdata/prod.yaml"}, &stdout, &stderr, func() time.Time { return now })
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], tt.want) {
				t.Errorf("stderr %q, want one line starting %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}
