// Package dynamotest starts a real DynamoDB-compatible server for tests:
// dynalite, pinned in .tools/test and installed by `make test-tools`, in
// memory on a free loopback port. Tests talk to it with the SDK's own
// DynamoDB client, so the requests, conditions and errors they exercise are
// DynamoDB's protocol, not a map written for the purpose.
package dynamotest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
)

// Region is the region the test clients sign for; dynalite accepts any.
const Region = "eu-west-1"

// dynalitePath is where `make test-tools` installs dynalite, relative to
// the repository root.
const dynalitePath = ".tools/test/node_modules/dynalite"

// startScript listens on port 0 (the CLI treats 0 as "use the default
// 4567") and prints the port the kernel chose. Tables become ACTIVE at once
// instead of after dynalite's default half second.
const startScript = `
const dynalite = require(process.argv[1]);
const server = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
server.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`

// Server is a running dynalite.
type Server struct {
	// URL is the endpoint to give the SDK (BaseEndpoint, or
	// AWS_ENDPOINT_URL_DYNAMODB for a built binary).
	URL string

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	tables atomic.Int64
}

// Start starts dynalite and stops it when the test ends. It fails the test
// with the command that installs dynalite when it is missing.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := Launch()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Launch starts dynalite for a whole test binary (from TestMain); the
// caller stops it with Stop. The error of a missing dynalite names the
// command that installs it.
func Launch() (*Server, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, fmt.Errorf("dynamotest: %w", err)
	}
	mod := filepath.Join(root, dynalitePath)
	if _, err := os.Stat(filepath.Join(mod, "package.json")); err != nil {
		return nil, fmt.Errorf("dynamotest: dynalite is not installed at %s: run `make test-tools` in the repository root", mod)
	}
	node := filepath.Join(root, ".tools/node_modules/.bin/node")
	if _, err := os.Stat(node); err != nil {
		if node, err = exec.LookPath("node"); err != nil {
			return nil, errors.New("dynamotest: no node found (neither .tools/node_modules/.bin/node nor node in PATH): run `make tools test-tools`")
		}
	}

	cmd := exec.Command(node, "-e", startScript, mod)
	// Closing stdin ends the server, also when the test binary dies
	// without running its cleanups: the pipe closes with the process. The
	// Server keeps the pipe, so that it is not closed before Stop.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("dynamotest: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("dynamotest: %w", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynamotest: start dynalite: %w", err)
	}
	s := &Server{cmd: cmd, stdin: stdin}

	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`^listening on (\d+)$`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p := <-port:
		s.URL = "http://127.0.0.1:" + p
		return s, nil
	case <-time.After(30 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("dynamotest: dynalite did not start within 30s: %s", stderr.String())
	}
}

// Stop ends the server and waits for it. Calling it twice is harmless.
func (s *Server) Stop() {
	if s.stdin == nil {
		return
	}
	s.stdin.Close()
	s.stdin = nil
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// Client returns an SDK client for the server, with static credentials
// (dynalite checks that requests are signed, not by whom).
func (s *Server) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	})
}

// NewTableName returns a table name not used before on this server, so
// that each test can have a table of its own.
func (s *Server) NewTableName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, s.tables.Add(1))
}

// CreateLedgerTable creates a run ledger table as the stacks define it:
// partition key pk and sort key sk (strings), on-demand billing, and the
// sparse global secondary index "open" on openShard and scheduledTime, and
// the index "history" on runDay and scheduledTime, each with every
// attribute projected. (TTL, point-in-time recovery and encryption
// change nothing that a test of the items can see.)
func CreateLedgerTable(ctx context.Context, db *dynamodb.Client, name string) error {
	s := func(v string) *string { return aws.String(v) }
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   s(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: s(ledger.AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(ledger.AttrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(ledger.AttrOpenShard), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(ledger.AttrScheduledTime), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(ledger.AttrRunDay), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: s(ledger.AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: s(ledger.AttrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: s(ledger.IndexOpen),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: s(ledger.AttrOpenShard), KeyType: types.KeyTypeHash},
				{AttributeName: s(ledger.AttrScheduledTime), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}, {
			IndexName: s(ledger.IndexHistory),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: s(ledger.AttrRunDay), KeyType: types.KeyTypeHash},
				{AttributeName: s(ledger.AttrScheduledTime), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		return fmt.Errorf("create ledger table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: s(name)}, 10*time.Second); err != nil {
		return fmt.Errorf("wait for ledger table %s: %w", name, err)
	}
	return nil
}

// LedgerTable creates a ledger table of its own for the test on s and
// returns its name.
func (s *Server) LedgerTable(tb testing.TB) string {
	tb.Helper()
	name := s.NewTableName("ledger")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CreateLedgerTable(ctx, s.Client(), name); err != nil {
		tb.Fatalf("dynamotest: %v", err)
	}
	return name
}

// repoRoot walks up from the working directory (a test's package
// directory) to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Main runs a test binary's tests (from TestMain) with one dynalite for
// all of them: it sets *s, runs setup (creating shared tables, say), runs
// m and stops the server. It returns the exit code for os.Exit; when
// dynalite cannot start or setup fails it says why (and, for a missing
// dynalite, how to install it) and returns 1.
func Main(m *testing.M, s **Server, setup ...func(*Server) error) int {
	srv, err := Launch()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Stop()
	for _, f := range setup {
		if err := f(srv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	*s = srv
	return m.Run()
}
