package test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/stacks"
)

// moduleRoot is the repository root, where go.mod and cdk.json are.
func moduleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Dir(filepath.Dir(file))
}

// cdkContext returns the context the CDK CLI hands to the app: cdk.json's
// (the feature flags that shape the templates) and the CLI's own settings.
// In-process synths use it too, so that they produce what `cdk synth`
// produces.
func cdkContext(t testing.TB) map[string]interface{} {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cdk struct {
		Context          map[string]interface{} `json:"context"`
		VersionReporting *bool                  `json:"versionReporting"`
		AssetMetadata    *bool                  `json:"assetMetadata"`
		PathMetadata     *bool                  `json:"pathMetadata"`
	}
	if err := json.Unmarshal(raw, &cdk); err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	// What the CDK CLI adds to the context from cdk.json's own settings,
	// each true unless cdk.json says false.
	isSet := func(b *bool) bool { return b == nil || *b }
	cdk.Context["aws:cdk:enable-path-metadata"] = isSet(cdk.PathMetadata)
	cdk.Context["aws:cdk:enable-asset-metadata"] = isSet(cdk.AssetMetadata)
	cdk.Context["aws:cdk:disable-version-reporting"] = !isSet(cdk.VersionReporting)
	return cdk.Context
}

// loadConfig loads a config file relative to the repository root.
func loadConfig(t testing.TB, path string) *config.Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), path))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, raw)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return cfg
}

// stackCountNamed loads table, which does not fit one schedule stack, and
// returns the scheduleStacks the loader's one problem names; the problem
// must also match want.
func stackCountNamed(t *testing.T, table string, want *regexp.Regexp) int {
	t.Helper()
	_, err := config.Load("config/large.yaml", []byte(table))
	var problems config.Problems
	if !errors.As(err, &problems) || len(problems) != 1 {
		t.Fatalf("loading the table into one stack: got %v, want one problem", err)
	}
	m := regexp.MustCompile(`; set scheduleStacks: (\d+) or more`).FindStringSubmatch(problems[0].Message)
	if m == nil || !want.MatchString(problems[0].Message) {
		t.Fatalf("the problem does not match %q or names no stack count: %s", want, problems[0].Message)
	}
	t.Logf("one stack: %s", problems[0].Message)
	n, _ := strconv.Atoi(m[1])
	return n
}

// loadTable loads table with scheduleStacks set to stacks.
func loadTable(t *testing.T, stacks int, table string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "large.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("scheduleStacks: %d\n%s", stacks, table)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatalf("with scheduleStacks: %d: %v", stacks, err)
	}
	return cfg
}

// synth synthesizes one environment in process, without building the
// function (its asset hash is masked wherever templates are compared), and
// returns the assembly. Extra aspects, such as cdk-nag, are added to the app
// first.
func synth(t testing.TB, cfg *config.Config, aspects ...awscdk.IAspect) *assembly.Assembly {
	t.Helper()
	return synthWithContext(t, cfg, nil, aspects...)
}

// synthWithContext is synth with extra context values.
func synthWithContext(t testing.TB, cfg *config.Config, extra map[string]interface{}, aspects ...awscdk.IAspect) *assembly.Assembly {
	t.Helper()
	ctx := cdkContext(t)
	ctx["aws:cdk:bundling-stacks"] = []string{}
	for k, v := range extra {
		ctx[k] = v
	}
	return synthInto(t, t.TempDir(), cfg, ctx, aspects...)
}

// synthInto synthesizes cfg into out with the context ctx.
func synthInto(t testing.TB, out string, cfg *config.Config, ctx map[string]interface{}, aspects ...awscdk.IAspect) *assembly.Assembly {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out), Context: &ctx})
	for _, a := range aspects {
		awscdk.Aspects_Of(app).Add(a, nil)
	}
	stacks.NewEnvironment(app, cfg, stacks.Props{ModuleDir: moduleRoot(t)})
	app.Synth(nil)
	failOnWarnings(t, out)
	asm, err := assembly.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	return asm
}

// synthOnce returns the assembly of the table at path (relative to the
// module root), synthesized once per test binary: the golden, Control Tower
// and CI diff tests read the same environments, and a synth is most of
// their time. Callers only read the assembly. Each call checks it for CDK
// warnings, as synth does.
func synthOnce(t testing.TB, path string) *assembly.Assembly {
	t.Helper()
	v, _ := synths.LoadOrStore(path, &onceSynth{})
	s := v.(*onceSynth)
	s.once.Do(func() {
		ctx := cdkContext(t)
		ctx["aws:cdk:bundling-stacks"] = []string{}
		out, err := os.MkdirTemp(binDir, "synth-")
		if err != nil {
			t.Fatal(err)
		}
		s.asm = synthInto(t, out, loadConfig(t, path), ctx)
	})
	if s.asm == nil {
		t.Fatalf("the synth of %s failed in an earlier test", path)
	}
	failOnWarnings(t, s.asm.Dir)
	return s.asm
}

// onceSynth is one table's synth, shared by synthOnce's callers.
type onceSynth struct {
	once sync.Once
	asm  *assembly.Assembly
}

// synths maps a table's path to its onceSynth.
var synths sync.Map

// failOnWarnings fails the test on any warning or error the CDK recorded
// in the assembly's manifest: the CLI only prints them, and one of them,
// @aws-cdk/core:Stack.templateSize, says that a template nears
// CloudFormation's 1 MB limit.
func failOnWarnings(t testing.TB, dir string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Artifacts map[string]struct {
			Metadata map[string][]struct {
				Type string `json:"type"`
				Data any    `json:"data"`
			} `json:"metadata"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	for id, art := range m.Artifacts {
		for path, entries := range art.Metadata {
			for _, e := range entries {
				if e.Type == "aws:cdk:warning" || e.Type == "aws:cdk:error" {
					t.Errorf("%s %s: %s: %v", id, path, e.Type, e.Data)
				}
			}
		}
	}
}

var (
	// binDir holds the binaries the tests build; TestMain removes it.
	binDir    string
	buildOnce sync.Map // package path -> *builtBinary
)

func TestMain(m *testing.M) {
	var err error
	binDir, err = os.MkdirTemp("", "qlik-reload-triggers-test-")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

type builtBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildBinary builds a main package of the module once per test process
// and returns the executable's path.
func buildBinary(t testing.TB, pkg string) string {
	t.Helper()
	v, _ := buildOnce.LoadOrStore(pkg, &builtBinary{})
	b := v.(*builtBinary)
	b.once.Do(func() {
		b.path = filepath.Join(binDir, filepath.Base(pkg)+".bin")
		cmd := exec.Command("go", "build", "-o", b.path, pkg)
		cmd.Dir = moduleRoot(t)
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, b.err, b.out)
	}
	return b.path
}
