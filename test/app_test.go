package test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
)

// runApp runs the built CDK app as the CDK CLI does: in dir, with the
// context of cdk.json plus extra, writing the assembly to out.
func runApp(t testing.TB, dir, out string, extra map[string]interface{}) (stderr string, err error) {
	t.Helper()
	cmd := appCommand(t, dir, out, extra)
	var buf bytes.Buffer
	cmd.Stderr = &buf
	err = cmd.Run()
	return buf.String(), err
}

// appCommand is the built app, set to run in dir and synthesize into out
// with the context the CDK CLI would pass, plus extra.
func appCommand(t testing.TB, dir, out string, extra map[string]interface{}) *exec.Cmd {
	t.Helper()
	ctx := cdkContext(t)
	for k, v := range extra {
		ctx[k] = v
	}
	raw, err := json.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buildBinary(t, "."))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "CDK_CONTEXT_JSON="+string(raw))
	return cmd
}

// TestAppRejectsABadTableAndWritesNothing: every problem is reported at
// once, one line each with file, line and field, and no template is
// written that could be deployed.
func TestAppRejectsABadTableAndWritesNothing(t *testing.T) {
	out := t.TempDir()
	stderr, err := runApp(t, moduleRoot(t), out, map[string]interface{}{
		"config":                  "test/testdata/bad.yaml",
		"aws:cdk:bundling-stacks": []string{},
	})
	if err == nil {
		t.Fatalf("synth of a bad table succeeded; stderr:\n%s", stderr)
	}
	for _, want := range []string{
		"test/testdata/bad.yaml:1: tenantUrl:",
		"test/testdata/bad.yaml:5: reloads[0].schedule: day-of-month and day-of-week cannot both be set; use ? in one of them",
		"test/testdata/bad.yaml:6: reloads[1].name:",
		"test/testdata/bad.yaml:7: reloads[1].appId:",
		"test/testdata/bad.yaml:8: reloads[1].schedule:",
		"test/testdata/bad.yaml:9: reloads[1].shedule: unknown field; did you mean schedule?",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	templates, _ := filepath.Glob(filepath.Join(out, "*.template.json"))
	if len(templates) > 0 {
		t.Errorf("a failed synth wrote templates: %v", templates)
	}
}

func TestAppChoosesTheEnvironment(t *testing.T) {
	cases := []struct {
		name      string
		context   map[string]interface{}
		wantStack string
		wantErr   string
	}{
		{name: "default", context: map[string]interface{}{}, wantStack: "QlikReloads-example"},
		{name: "env", context: map[string]interface{}{"env": "staging"}, wantStack: "QlikReloads-staging"},
		{name: "config", context: map[string]interface{}{"config": "config/staging.yaml"}, wantStack: "QlikReloads-staging"},
		{name: "both", context: map[string]interface{}{"env": "staging", "config": "config/staging.yaml"}, wantErr: "use one of them"},
		{name: "missing env", context: map[string]interface{}{"env": "prod-eu"}, wantErr: "config/prod-eu.yaml"},
		{name: "path as env", context: map[string]interface{}{"env": "../staging"}, wantErr: "use -c config=PATH"},
		{name: "file name as env", context: map[string]interface{}{"env": "staging.yaml"}, wantErr: "-c env=staging.yaml names the file, not the environment: use ENV=staging with make, or -c env=staging"},
		// A row whose only run has passed would deploy a schedule that
		// never fires.
		{name: "stale row", context: map[string]interface{}{"config": "test/testdata/stale.yaml"}, wantErr: "test/testdata/stale.yaml:3: reloads[0]: at(2020-01-06T07:00:00) has no run after now"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			tc.context["aws:cdk:bundling-stacks"] = []string{}
			stderr, err := runApp(t, moduleRoot(t), out, tc.context)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(stderr, tc.wantErr) {
					t.Fatalf("got error %v with stderr:\n%s\nwant a failure saying %q", err, stderr, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("synth failed: %v\n%s", err, stderr)
			}
			asm, err := assembly.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(asm.Stacks) == 0 || asm.Stacks[0].Name != tc.wantStack {
				t.Errorf("got stacks %v, want %s first", asm.Stacks, tc.wantStack)
			}
		})
	}
}

// TestSynthIsByteIdenticalAcrossDirectories synthesizes the example with
// the real function build from the checkout and from a copy elsewhere: the
// templates, and so the asset hash of the function, must be the same bytes.
// CI diffs and redeploys rely on it.
func TestSynthIsByteIdenticalAcrossDirectories(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function twice")
	}
	copyDir := filepath.Join(t.TempDir(), "elsewhere", "qlik-reload-triggers")
	copyModule(t, moduleRoot(t), copyDir)

	var got [2]map[string][]byte
	for i, dir := range []string{moduleRoot(t), copyDir} {
		out := t.TempDir()
		if stderr, err := runApp(t, dir, out, nil); err != nil {
			t.Fatalf("synth in %s: %v\n%s", dir, err, stderr)
		}
		asm, err := assembly.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = templates(asm)
	}
	if diff := cmp.Diff(keys(got[0]), keys(got[1])); diff != "" {
		t.Fatalf("stacks differ:\n%s", diff)
	}
	for name, tmpl := range got[0] {
		if !bytes.Equal(tmpl, got[1][name]) {
			t.Errorf("stack %s differs between directories:\n%s", name, cmp.Diff(string(tmpl), string(got[1][name])))
		}
		if !bytes.Contains(tmpl, []byte(".zip")) {
			t.Errorf("stack %s has no function asset: was the function built?", name)
		}
	}
}

// copyModule copies the files the app and the function are built from.
func copyModule(t *testing.T, from, to string) {
	t.Helper()
	skip := map[string]bool{".git": true, ".tools": true, "cdk.out": true, "out": true, "testdata": true}
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() && skip[d.Name()] && rel != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
