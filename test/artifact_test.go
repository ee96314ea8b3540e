package test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
)

// runScript runs a workflow step's script in dir as the runner does.
func runScript(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("step %q in %s: %v\n%s", script, dir, err, out)
	}
}

// TestBootstrapSurvivesTheWorkflowArtifact synthesizes staging with the
// real function build, carries the assembly from the synth job to the
// deploy job with the workflow's own pack and unpack steps, and checks that
// the function's bootstrap is still executable, as Lambda needs it. Without
// the tar, the artifact would deliver it as 0644: the check the deploy job
// runs must refuse that.
func TestBootstrapSurvivesTheWorkflowArtifact(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function")
	}
	w, _ := readWorkflow(t)
	pack, unpack := workflowScripts(t, w)

	synthJob := t.TempDir()
	synthed := filepath.Join(synthJob, "out", "staging")
	if err := os.MkdirAll(synthed, 0o755); err != nil {
		t.Fatal(err)
	}
	if stderr, err := runApp(t, moduleRoot(t), synthed, map[string]interface{}{"env": "staging"}); err != nil {
		t.Fatalf("synth: %v\n%s", err, stderr)
	}
	// The reload function and the watcher run the same build: one asset.
	found, err := assembly.FunctionBootstraps(synthed)
	if err != nil || len(found) != 2 || !executable(found) || found[0].Path != found[1].Path {
		t.Fatalf("synthesized assembly: got %+v, %v; want the two functions' one bootstrap with mode 0755", found, err)
	}

	runScript(t, synthJob, pack)
	// The artifact carries the tar alone, and drops even its mode.
	deployJob := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(synthJob, "assemblies.tar"))
	if err != nil {
		t.Fatalf("the pack step made no assemblies.tar: %v", err)
	}
	if err := os.WriteFile(filepath.Join(deployJob, "assemblies.tar"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	runScript(t, deployJob, unpack)
	unpacked := filepath.Join(deployJob, "out", "staging")
	got, err := assembly.FunctionBootstraps(unpacked)
	if err != nil || len(got) != len(found) || !executable(got) || got[0].Path != found[0].Path {
		t.Fatalf("after the tar round trip: got %+v, %v; want %s with mode 0755", got, err, found[0].Path)
	}

	// What the artifact would deliver without the tar.
	if err := os.Chmod(filepath.Join(unpacked, got[0].Path), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = assembly.FunctionBootstraps(unpacked)
	var nx *assembly.NotExecutableError
	if !errors.As(err, &nx) || nx.Mode.Perm() != 0o644 {
		t.Fatalf("check of a 0644 bootstrap: got %v, want a *NotExecutableError with mode 0644", err)
	}
	out, err := exec.Command(buildBinary(t, "./cmd/assembly"), "check", "-dir", unpacked).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "has mode 0644 and Lambda cannot start it") {
		t.Errorf("assembly check of a 0644 bootstrap: got %v with output\n%s\nwant a failure that says why", err, out)
	}
}

// executable reports whether every bootstrap has mode 0755.
func executable(bootstraps []assembly.FunctionBootstrap) bool {
	for _, b := range bootstraps {
		if b.Mode.Perm() != 0o755 {
			return false
		}
	}
	return true
}
