package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file holds a small emulator of the Lambda Runtime API and a runner
// for the built bootstrap. A hand-written emulator (about a hundred lines)
// is used rather than the Runtime Interface Emulator module because the
// tests need to see exactly what the function does on the wire: when it
// first asks for work (the end of its init), when an invocation is handed
// out and answered, and what it posts to /error and /init/error. The
// emulator module runs its own process model around the binary and hides
// those moments.

// invocation is one event handed to the function.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	sentAt   time.Time
	done     chan answer
}

// answer is what the function posted for an invocation.
type answer struct {
	// kind is "response" or "error".
	kind      string
	body      []byte
	errorType string
	at        time.Time
}

// initError is what the function posted to /runtime/init/error.
type initError struct {
	body      []byte
	errorType string
}

// runtimeAPI emulates the Runtime API endpoints the function uses.
type runtimeAPI struct {
	srv       *httptest.Server
	queue     chan *invocation
	firstNext chan time.Time
	initErrs  chan initError

	mu      sync.Mutex
	pending map[string]*invocation
	seq     int
}

func newRuntimeAPI(tb testing.TB) *runtimeAPI {
	tb.Helper()
	api := &runtimeAPI{
		queue:     make(chan *invocation),
		firstNext: make(chan time.Time, 1),
		initErrs:  make(chan initError, 1),
		pending:   map[string]*invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", api.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", api.result("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", api.result("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", api.initError)
	api.srv = httptest.NewServer(mux)
	tb.Cleanup(func() {
		api.srv.CloseClientConnections()
		api.srv.Close()
	})
	return api
}

// address is the value of AWS_LAMBDA_RUNTIME_API.
func (api *runtimeAPI) address() string { return strings.TrimPrefix(api.srv.URL, "http://") }

func (api *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	select {
	case api.firstNext <- time.Now():
	default:
	}
	var inv *invocation
	select {
	case inv = <-api.queue:
	case <-r.Context().Done():
		return
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:reload-test")
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-67891234-abcdef012345678912345678;Sampled=0")
	h.Set("Content-Type", "application/json")
	inv.sentAt = time.Now()
	_, _ = w.Write(inv.payload)
}

func (api *runtimeAPI) result(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		at := time.Now()
		api.mu.Lock()
		inv := api.pending[r.PathValue("id")]
		delete(api.pending, r.PathValue("id"))
		api.mu.Unlock()
		if inv == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		errorType := r.Header.Get("Lambda-Runtime-Function-Error-Type")
		if kind == "error" && errorType == "" {
			var e struct {
				ErrorType string `json:"errorType"`
			}
			_ = json.Unmarshal(body, &e)
			errorType = e.ErrorType
		}
		w.WriteHeader(http.StatusAccepted)
		inv.done <- answer{kind: kind, body: body, errorType: errorType, at: at}
	}
}

func (api *runtimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.WriteHeader(http.StatusAccepted)
	select {
	case api.initErrs <- initError{body: body, errorType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}:
	default:
	}
}

// invoke hands payload to the function with the given time to run, and
// waits for its answer.
func (api *runtimeAPI) invoke(tb testing.TB, payload string, timeout time.Duration) (answer, *invocation) {
	tb.Helper()
	api.mu.Lock()
	api.seq++
	inv := &invocation{
		id:       fmt.Sprintf("8476a536-e9f4-11e8-9739-2dfe598c%04d", api.seq),
		payload:  []byte(payload),
		deadline: time.Now().Add(timeout),
		done:     make(chan answer, 1),
	}
	api.pending[inv.id] = inv
	api.mu.Unlock()
	wait := time.NewTimer(timeout + 10*time.Second)
	defer wait.Stop()
	select {
	case api.queue <- inv:
	case <-wait.C:
		tb.Fatalf("the function did not ask for the invocation")
	}
	select {
	case a := <-inv.done:
		return a, inv
	case <-wait.C:
		tb.Fatalf("the function did not answer invocation %s", inv.id)
	}
	return answer{}, nil
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// buildBootstrap builds the function as the stack does (for this machine's
// architecture, so that it runs here) into a temporary directory.
func buildBootstrap(tb testing.TB) string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("the go command is not on PATH")
	}
	out := filepath.Join(tb.TempDir(), "bootstrap")
	cmd := exec.Command(goTool, "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid=", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build the bootstrap: %v\n%s", err, b)
	}
	return out
}

// process is a running bootstrap.
type process struct {
	cmd     *exec.Cmd
	started time.Time
	stdout  *syncBuffer
	stderr  *syncBuffer
	stopped bool
}

// startProcess runs the bootstrap with exactly env (nothing inherited, so
// that the machine's AWS configuration cannot leak in).
func startProcess(tb testing.TB, bin string, env map[string]string) *process {
	tb.Helper()
	p := &process{cmd: exec.Command(bin), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	p.cmd.Dir = tb.TempDir()
	p.cmd.Env = []string{"HOME=" + p.cmd.Dir}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start the bootstrap: %v", err)
	}
	tb.Cleanup(func() { p.stop() })
	return p
}

// stop kills the process (Lambda freezes and kills functions; nothing is
// flushed at exit) and returns its peak resident memory in bytes.
func (p *process) stop() int64 {
	if !p.stopped {
		p.stopped = true
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
	if p.cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // Linux reports kilobytes
	}
	return 0
}

// wait waits for the process to exit by itself and returns its exit code.
func (p *process) wait(tb testing.TB, timeout time.Duration) int {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
		p.stopped = true
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		tb.Fatalf("the process did not exit within %v", timeout)
		return 0
	}
}

// waitFirstNext returns when the function first asked for work: the end of
// its initialization.
func (api *runtimeAPI) waitFirstNext(tb testing.TB, timeout time.Duration) time.Time {
	tb.Helper()
	select {
	case t := <-api.firstNext:
		return t
	case <-time.After(timeout):
		tb.Fatalf("the function did not ask for an invocation within %v", timeout)
		return time.Time{}
	}
}

// functionEnv is the environment Lambda and the stack would give the
// function, pointed at fakes.
func functionEnv(api *runtimeAPI, tenantURL, secretsURL, secretID string) map[string]string {
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":           api.address(),
		"AWS_LAMBDA_FUNCTION_NAME":         "reload-test",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE":  "128",
		"AWS_LAMBDA_LOG_FORMAT":            "JSON",
		"AWS_REGION":                       "eu-west-1",
		"AWS_ACCESS_KEY_ID":                "AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY":            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN":                "test-session-token",
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": secretsURL,
		"QLIK_TENANT_URL":                  tenantURL,
		"QLIK_API_KEY_SECRET_ID":           secretID,
	}
	for k, v := range runsEnv() {
		env[k] = v
	}
	return env
}

// jsonLines decodes every non-empty line of out as a JSON object.
func jsonLines(tb testing.TB, name, out string) []map[string]any {
	tb.Helper()
	var lines []map[string]any
	for line := range strings.Lines(out) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			tb.Errorf("%s line is not a JSON object: %q", name, line)
			continue
		}
		lines = append(lines, m)
	}
	return lines
}
