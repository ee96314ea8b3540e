// Command history prints an environment's runs from its run ledger, newest
// first, one line each: row, scheduled time in the row's zone, started,
// ended, duration, status, reload ID and error summary. It runs with the
// caller's AWS credentials and finds the ledger table from the outputs of
// the environment's core stack.
//
//	go run ./cmd/history -config config/prod.yaml [-row NAME] [-failed] [-since 24h]
//
// `make history ENV=prod ROW=name FAILED=1 SINCE=24h` runs it. Without
// credentials, or with the stack not deployed, it says so in one line and
// exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/history"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, time.Now))
}

// credentialTimeout bounds the look for credentials, which may ask an
// instance metadata endpoint that is not there.
const credentialTimeout = 10 * time.Second

// run wires the command and returns its exit code; every failure is one
// line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "config/example.yaml", "the environment's config table")
	row := fs.String("row", "", "list only this row's runs")
	failed := fs.Bool("failed", false, "list only runs that FAILED, EXCEEDED_LIMIT, ended UNKNOWN or were dead-lettered")
	since := 24 * time.Hour
	fs.Func("since", "list the runs scheduled within this long before now, such as 24h, 90m or 7d (default 24h)", func(v string) error {
		d, err := parseSince(v)
		since = d
		return err
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "history: "+format+"\n", a...)
		return 1
	}
	cfg, err := config.LoadFile(*cfgPath)
	if err != nil {
		return fail("%s", oneLine(err))
	}
	// The SDK's own warnings (an instance metadata fallback, say) would
	// add lines to the one that says what is wrong.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fail("load the AWS configuration: %s", oneLine(err))
	}
	if awsCfg.Region == "" {
		return fail("no AWS region: set AWS_REGION, a region in your AWS profile, or region in %s", *cfgPath)
	}
	cctx, cancel := context.WithTimeout(ctx, credentialTimeout)
	_, err = awsCfg.Credentials.Retrieve(cctx)
	cancel()
	if err != nil {
		return fail("no AWS credentials found (%s): set AWS_PROFILE, run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", oneLine(err))
	}
	stack := history.StackName(cfg.Name)
	table, err := history.LedgerTable(ctx, cloudformation.NewFromConfig(awsCfg), stack, awsCfg.Region)
	if err != nil {
		return fail("%s", oneLine(err))
	}
	led, err := ledger.New(ledger.Config{DB: dynamodb.NewFromConfig(awsCfg), Table: table})
	if err != nil {
		return fail("%s", oneLine(err))
	}
	end := now()
	runs, err := led.History(ctx, ledger.HistoryFilter{Since: end.Add(-since), Until: end, Row: *row, FailedOnly: *failed})
	if err != nil {
		return fail("read table %s: %s", table, oneLine(err))
	}
	if err := history.Write(stdout, runs); err != nil {
		return fail("%s", oneLine(err))
	}
	if len(runs) == 0 {
		fmt.Fprintf(stderr, "history: no runs of %s scheduled in the last %s match\n", stack, since)
	}
	return 0
}

// parseSince reads a Go duration or a whole number of days ("7d").
func parseSince(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days, such as 7d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration such as 24h, 90m or 7d", v)
	}
	return d, nil
}

// oneLine keeps an error on one line: joined errors and the SDK's
// messages may hold line breaks.
func oneLine(err error) string {
	return strings.NewReplacer("\r\n", "; ", "\n", "; ").Replace(err.Error())
}
