package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/secretsmanagertest"
)

// The benchmarks measure the built function through the Runtime API, as
// Lambda runs it, against a fake tenant on which each new reload stays
// QUEUED for exactly one second. Run them with a fixed count, for example:
//
//	go test -run '^$' -bench . -benchtime 10x ./lambda
//
// Each reports the median of its iterations:
//
//   - init-ms: process start to the function's first request for work
//     (what Lambda bills as Init Duration);
//   - overhead-ms: the invocation's duration (event handed out to result
//     received) minus the second Qlik kept the reload queued: the time the
//     function itself adds;
//   - peak-rss-MB: the process's maximum resident memory (getrusage);
//   - billed-ms: what Lambda bills for the invocation, its duration rounded
//     up to the millisecond (the cold start adds the init duration, which
//     Lambda bills for custom runtimes);
//   - qlik-reads/op: GET requests the tenant received per invocation (the
//     app check, the list of reloads and the polls), from Qlik's tenant-wide
//     budget of 1,000 reads a minute.

// queuedFor is how long the fake tenant keeps each new reload QUEUED.
const queuedFor = time.Second

type benchFakes struct {
	tenant  *qliktest.Tenant
	secrets *secretsmanagertest.Server
}

func newBenchFakes(b *testing.B) benchFakes {
	b.Helper()
	tenant := qliktest.New(b)
	tenant.AddAPIKey(e2eKey)
	tenant.AutoCreateApps(true)
	tenant.SetTimeline(qliktest.Phase{Status: qlik.StatusQueued, For: queuedFor}, qliktest.Phase{Status: qlik.StatusReloading})
	secrets := secretsmanagertest.New(b)
	secrets.Put(e2eSecretName, `{"key": "`+e2eKey+`"}`)
	return benchFakes{tenant: tenant, secrets: secrets}
}

// reads returns how many GET requests the tenant received so far.
func (f benchFakes) reads() int {
	return f.tenant.Count(qliktest.RouteGetApp) + f.tenant.Count(qliktest.RouteListReloads) + f.tenant.Count(qliktest.RouteGetReload)
}

// billed is Lambda's billed duration for a duration d, in milliseconds:
// rounded up to the millisecond.
func billed(d time.Duration) float64 { return math.Ceil(ms(d)) }

// benchApp returns a distinct app id per iteration, so that every
// invocation creates a reload instead of finding the previous one.
func benchApp(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i+1) }

func mustCreate(b *testing.B, a answer) {
	b.Helper()
	var r struct {
		Created bool   `json:"created"`
		Status  string `json:"status"`
	}
	if a.kind != "response" || json.Unmarshal(a.body, &r) != nil || !r.Created || r.Status != "RELOADING" {
		b.Fatalf("invocation: %s %s, want a created reload seen RELOADING", a.kind, a.body)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

const mib = 1 << 20

// BenchmarkColdStart starts a new process per iteration and sends it one
// event: cold init, the first invocation's overhead (which includes
// reading the secret), and peak memory.
func BenchmarkColdStart(b *testing.B) {
	bin := buildBootstrap(b)
	fakes := newBenchFakes(b)
	var inits, overheads, rss, bills []float64
	reads0 := fakes.reads()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		api := newRuntimeAPI(b)
		p := startProcess(b, bin, functionEnv(api, fakes.tenant.URL, fakes.secrets.URL, e2eSecretName))
		first := api.waitFirstNext(b, 10*time.Second)
		a, inv := api.invoke(b, `{"appId":"`+benchApp(i)+`"}`, time.Minute)
		mustCreate(b, a)
		inits = append(inits, ms(first.Sub(p.started)))
		overheads = append(overheads, ms(a.at.Sub(inv.sentAt)-queuedFor))
		bills = append(bills, billed(first.Sub(p.started))+billed(a.at.Sub(inv.sentAt)))
		rss = append(rss, float64(p.stop())/mib)
	}
	b.StopTimer()
	b.ReportMetric(median(inits), "init-ms")
	b.ReportMetric(median(overheads), "overhead-ms")
	b.ReportMetric(median(bills), "billed-ms")
	b.ReportMetric(float64(fakes.reads()-reads0)/float64(b.N), "qlik-reads/op")
	b.ReportMetric(median(rss), "peak-rss-MB")
}

// BenchmarkWarmInvocation sends one event per iteration to a single warm
// process.
func BenchmarkWarmInvocation(b *testing.B) {
	bin := buildBootstrap(b)
	fakes := newBenchFakes(b)
	api := newRuntimeAPI(b)
	p := startProcess(b, bin, functionEnv(api, fakes.tenant.URL, fakes.secrets.URL, e2eSecretName))
	api.waitFirstNext(b, 10*time.Second)
	// One invocation first, so that every measured one is warm.
	a, _ := api.invoke(b, `{"appId":"`+benchApp(1<<20)+`"}`, time.Minute)
	mustCreate(b, a)
	var overheads, bills []float64
	reads0 := fakes.reads()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, inv := api.invoke(b, `{"appId":"`+benchApp(i)+`"}`, time.Minute)
		mustCreate(b, a)
		overheads = append(overheads, ms(a.at.Sub(inv.sentAt)-queuedFor))
		bills = append(bills, billed(a.at.Sub(inv.sentAt)))
	}
	b.StopTimer()
	b.ReportMetric(median(overheads), "overhead-ms")
	b.ReportMetric(median(bills), "billed-ms")
	b.ReportMetric(float64(fakes.reads()-reads0)/float64(b.N), "qlik-reads/op")
	b.ReportMetric(float64(p.stop())/mib, "peak-rss-MB")
}

// BenchmarkWarmInvocationNoWait is BenchmarkWarmInvocation with
// QLIK_WAIT_TIMEOUT=0: the function returns right after the 201, so
// duration-ms is its own work (reading the app and its reloads, creating
// the reload) without the polling that the other benchmarks include.
func BenchmarkWarmInvocationNoWait(b *testing.B) {
	bin := buildBootstrap(b)
	fakes := newBenchFakes(b)
	api := newRuntimeAPI(b)
	env := functionEnv(api, fakes.tenant.URL, fakes.secrets.URL, e2eSecretName)
	env["QLIK_WAIT_TIMEOUT"] = "0"
	p := startProcess(b, bin, env)
	api.waitFirstNext(b, 10*time.Second)
	if a, _ := api.invoke(b, `{"appId":"`+benchApp(1<<20)+`"}`, time.Minute); a.kind != "response" {
		b.Fatalf("warm-up invocation: %s %s", a.kind, a.body)
	}
	var durations, bills []float64
	reads0 := fakes.reads()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, inv := api.invoke(b, `{"appId":"`+benchApp(i)+`"}`, time.Minute)
		if a.kind != "response" {
			b.Fatalf("invocation: %s %s", a.kind, a.body)
		}
		durations = append(durations, ms(a.at.Sub(inv.sentAt)))
		bills = append(bills, billed(a.at.Sub(inv.sentAt)))
	}
	b.StopTimer()
	b.ReportMetric(median(durations), "duration-ms")
	b.ReportMetric(median(bills), "billed-ms")
	b.ReportMetric(float64(fakes.reads()-reads0)/float64(b.N), "qlik-reads/op")
	b.ReportMetric(float64(p.stop())/mib, "peak-rss-MB")
}

// BenchmarkPythonBaseline times testdata/whitepaper_startup.py, a stand-in
// for the original Python function's start-up, against the same fakes:
// init-ms is process start to the end of its imports and client creation,
// ready-ms adds the secret read and one tenant call. It needs Debian's
// python3-boto3 and python3-requests and is skipped without them.
func BenchmarkPythonBaseline(b *testing.B) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import boto3, requests").Run(); err != nil {
		b.Skipf("%s cannot import boto3 and requests (apt-get install python3-boto3 python3-requests): %v", python, err)
	}
	fakes := newBenchFakes(b)
	script, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	script += "/testdata/whitepaper_startup.py"
	env := []string{
		"HOME=" + b.TempDir(),
		"AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + fakes.secrets.URL,
		"SECRET_ID=" + e2eSecretName,
		"TENANT_URL=" + fakes.tenant.URL,
		"APP_ID=" + benchApp(0),
	}
	var inits, readies, rss []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(python, script)
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		var stderr syncBuffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		marks := map[string]time.Duration{}
		for lines.Scan() {
			marks[lines.Text()] = time.Since(start)
		}
		if err := cmd.Wait(); err != nil {
			b.Fatalf("python: %v\n%s", err, stderr.String())
		}
		if marks["init"] == 0 || marks["ready"] == 0 {
			b.Fatalf("python printed %v, want init and ready\n%s", marks, stderr.String())
		}
		inits = append(inits, ms(marks["init"]))
		readies = append(readies, ms(marks["ready"]))
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = append(rss, float64(ru.Maxrss*1024)/mib)
		}
	}
	b.StopTimer()
	b.ReportMetric(median(inits), "init-ms")
	b.ReportMetric(median(readies), "ready-ms")
	b.ReportMetric(median(rss), "peak-rss-MB")
}
