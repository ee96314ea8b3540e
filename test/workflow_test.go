package test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/rhysd/actionlint"
)

// workflowFile is the workflow shipped for users.
const workflowFile = ".github/workflows/reloads.yml"

// TestWorkflowsLintClean runs actionlint over the GitHub Actions workflows
// shipped for users, so that a broken workflow fails here rather than on a
// user's first pull request.
func TestWorkflowsLintClean(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(moduleRoot(t), ".github", "workflows", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no workflow found in .github/workflows")
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		errs, err := linter.LintFile(f, nil)
		if err != nil {
			t.Fatalf("lint %s: %v", f, err)
		}
		for _, e := range errs {
			t.Errorf("%s:%d:%d: %s [%s]", filepath.Base(f), e.Line, e.Column, e.Message, e.Kind)
		}
	}
}

// workflow is the part of a GitHub Actions workflow these tests read.
type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Permissions map[string]string `yaml:"permissions"`
		Environment string            `yaml:"environment"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress any    `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Strategy struct {
			Matrix struct {
				Include any `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []workflowStep `yaml:"steps"`
	} `yaml:"jobs"`
}

type workflowStep struct {
	Name string         `yaml:"name"`
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
}

// action is the step's action without its ref: actions/checkout.
func (s workflowStep) action() string {
	a, _, _ := strings.Cut(s.Uses, "@")
	return a
}

func readWorkflow(t *testing.T) (workflow, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), workflowFile))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(raw, &w); err != nil {
		t.Fatalf("parse %s: %v", workflowFile, err)
	}
	if len(w.Jobs) == 0 {
		t.Fatalf("%s has no jobs", workflowFile)
	}
	return w, raw
}

// pinnedUses is a step that uses an action at a full commit SHA, with the
// release it is in named in a comment.
var pinnedUses = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s+(v\d+\.\d+\.\d+)\s*$`)

// TestWorkflowPinsEveryActionToACommit: a tag can be moved to other code,
// including in the jobs that hold an OIDC token; a commit cannot.
func TestWorkflowPinsEveryActionToACommit(t *testing.T) {
	_, raw := readWorkflow(t)
	versions := map[string]string{} // action@sha -> version comment
	uses := 0
	for i, line := range strings.Split(string(raw), "\n") {
		if !regexp.MustCompile(`^\s*(?:-\s+)?uses:`).MatchString(line) {
			continue
		}
		uses++
		m := pinnedUses.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("%s:%d: %q is not pinned to a 40-character commit SHA with its version in a comment (uses: owner/repo@SHA # vX.Y.Z)", workflowFile, i+1, strings.TrimSpace(line))
			continue
		}
		key := m[1] + "@" + m[2]
		if v, ok := versions[key]; ok && v != m[3] {
			t.Errorf("%s:%d: %s is named %s here and %s elsewhere", workflowFile, i+1, key, m[3], v)
		}
		versions[key] = m[3]
	}
	if uses == 0 {
		t.Fatal("no uses: lines found")
	}
}

// TestWorkflowNeverRunsPullRequestCodeWithSecrets: pull_request_target
// runs with the repository's token and secrets on the base branch's
// workflow, which a pull request's code must never get near.
func TestWorkflowNeverRunsPullRequestCodeWithSecrets(t *testing.T) {
	w, raw := readWorkflow(t)
	if _, ok := w.On["pull_request"]; !ok {
		t.Errorf("the workflow does not run on pull_request; triggers: %v", w.On)
	}
	if _, ok := w.On["pull_request_target"]; ok {
		t.Errorf("the workflow runs on pull_request_target")
	}
	for i, line := range strings.Split(string(raw), "\n") {
		if code, _, _ := strings.Cut(line, "#"); strings.Contains(code, "pull_request_target") {
			t.Errorf("%s:%d: uses pull_request_target: %s", workflowFile, i+1, strings.TrimSpace(line))
		}
	}
	if len(w.Permissions) != 1 || w.Permissions["contents"] != "read" {
		t.Errorf("workflow permissions are %v, want only contents: read (jobs add what they need)", w.Permissions)
	}
}

// TestWorkflowGrantsOIDCOnlyWhereARoleIsAssumed: id-token: write lets a
// job's code ask for a token that AWS roles trust; only the jobs that
// assume a role get it, and those are the only ones that assume one.
func TestWorkflowGrantsOIDCOnlyWhereARoleIsAssumed(t *testing.T) {
	w, _ := readWorkflow(t)
	if w.Permissions["id-token"] != "" {
		t.Errorf("the workflow grants id-token: %s to every job", w.Permissions["id-token"])
	}
	roles := 0
	for name, job := range w.Jobs {
		assumes := false
		for _, s := range job.Steps {
			if s.action() == "aws-actions/configure-aws-credentials" {
				if s.With["role-to-assume"] == nil || s.With["allowed-account-ids"] == nil {
					t.Errorf("job %s: configure-aws-credentials without role-to-assume and allowed-account-ids: %v", name, s.With)
				}
				assumes = true
				roles++
			}
		}
		if got := job.Permissions["id-token"]; (got == "write") != assumes {
			t.Errorf("job %s: id-token: %q, but it assumes a role: %v", name, got, assumes)
		}
	}
	if roles == 0 {
		t.Error("no job assumes a role: the test reads the workflow wrongly")
	}
}

// TestWorkflowKeepsTheBootstrapExecutable: artifacts drop file modes, so
// the assemblies travel as a tar, every job that downloads them unpacks the
// tar, and the deploy refuses a function that cannot start.
func TestWorkflowKeepsTheBootstrapExecutable(t *testing.T) {
	w, _ := readWorkflow(t)
	pack, unpack := workflowScripts(t, w)
	if !strings.Contains(pack, "tar -c") || !strings.Contains(unpack, "tar -x") {
		t.Fatalf("pack step %q or unpack step %q does not use tar", pack, unpack)
	}
	uploads, downloads := 0, 0
	for name, job := range w.Jobs {
		for i, s := range job.Steps {
			switch {
			case s.action() == "actions/upload-artifact" && s.With["name"] == "assemblies":
				uploads++
				if i == 0 || job.Steps[i-1].Run != pack || !strings.Contains(pack, fmt.Sprint(s.With["path"])) {
					t.Errorf("job %s uploads %v, not the tar made just before", name, s.With["path"])
				}
			case s.action() == "actions/download-artifact" && s.With["name"] == "assemblies":
				downloads++
				if i+1 == len(job.Steps) || job.Steps[i+1].Run != unpack {
					t.Errorf("job %s downloads the assemblies without unpacking the tar next", name)
				}
			}
		}
	}
	if uploads != 1 || downloads == 0 {
		t.Errorf("got %d uploads and %d downloads of the assemblies, want 1 and some", uploads, downloads)
	}

	deploy := stepIndex(t, w, "deploy", "cdk deploy")
	check := stepIndex(t, w, "deploy", "go run ./cmd/assembly check")
	unpacked := stepIndex(t, w, "deploy", unpack)
	if !(unpacked < check && check < deploy) {
		t.Errorf("the deploy job unpacks at step %d, checks the bootstrap at %d and deploys at %d; want them in that order", unpacked, check, deploy)
	}
	head := stepIndex(t, w, "deploy", `"$GITHUB_SHA"`)
	if head > deploy {
		t.Errorf("the deploy job checks that its commit is main's head only after deploying")
	}
}

// TestWorkflowRunsThePinnedTools: Node 24 in every job, and the CDK CLI
// from .tools on PATH before a step calls it.
func TestWorkflowRunsThePinnedTools(t *testing.T) {
	w, _ := readWorkflow(t)
	for name, job := range w.Jobs {
		onPath := false
		for _, s := range job.Steps {
			if s.action() == "actions/setup-node" && fmt.Sprint(s.With["node-version"]) != "24" {
				t.Errorf("job %s sets up Node %v, want 24", name, s.With["node-version"])
			}
			if strings.Contains(s.Run, ".tools/node_modules/.bin") && strings.Contains(s.Run, "GITHUB_PATH") {
				onPath = true
			}
			if regexp.MustCompile(`(^|\s)cdk\s`).MatchString(s.Run) && !onPath {
				t.Errorf("job %s runs cdk before putting .tools/node_modules/.bin on PATH: %q", name, s.Run)
			}
		}
	}
	for _, job := range []string{"diff", "deploy"} {
		if got := fmt.Sprint(w.Jobs[job].Strategy.Matrix.Include); !strings.Contains(got, "needs.synth.outputs.environments") {
			t.Errorf("job %s takes its environments from %s, want the one list the synth job reads", job, got)
		}
	}
	if c := w.Jobs["deploy"].Concurrency; !strings.Contains(c.Group, "matrix.name") || c.CancelInProgress != false {
		t.Errorf("deploy concurrency is %+v, want one group per environment that never cancels a deploy", c)
	}
	if !strings.Contains(w.Jobs["deploy"].Environment, "matrix.name") || w.Jobs["approve"].Environment != "change-approval" {
		t.Errorf("deploy runs in environment %q and approve in %q", w.Jobs["deploy"].Environment, w.Jobs["approve"].Environment)
	}
}

// workflowScripts returns the scripts of the steps that pack and unpack the
// assemblies, which must be the same in every job.
func workflowScripts(t *testing.T, w workflow) (pack, unpack string) {
	t.Helper()
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			var dst *string
			switch s.Name {
			case "Pack the assemblies with their file modes":
				dst = &pack
			case "Unpack the assemblies with their file modes":
				dst = &unpack
			default:
				continue
			}
			if *dst != "" && *dst != s.Run {
				t.Fatalf("step %q differs between jobs: %q and %q", s.Name, *dst, s.Run)
			}
			*dst = s.Run
		}
	}
	if pack == "" || unpack == "" {
		t.Fatalf("the workflow has no pack (%q) or unpack (%q) step", pack, unpack)
	}
	return pack, unpack
}

// stepIndex is the index of the first step of job whose script contains s.
func stepIndex(t *testing.T, w workflow, job, s string) int {
	t.Helper()
	for i, step := range w.Jobs[job].Steps {
		if strings.Contains(step.Run, s) {
			return i
		}
	}
	t.Fatalf("job %s has no step that runs %q", job, s)
	return -1
}

// ciEnvironment is one entry of .github/environments.json.
type ciEnvironment struct {
	Name       string `json:"name"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	DiffRole   string `json:"diffRole"`
	DeployRole string `json:"deployRole"`
}

// TestCIEnvironmentsMatchTheirConfig: the list the workflow diffs and
// deploys names real environments, in the account and region their config
// pins, with both roles in that account.
func TestCIEnvironmentsMatchTheirConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), ".github", "environments.json"))
	if err != nil {
		t.Fatal(err)
	}
	var envs []ciEnvironment
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&envs); err != nil {
		t.Fatalf(".github/environments.json: %v", err)
	}
	seen := map[string]bool{}
	for _, e := range envs {
		if seen[e.Name] {
			t.Errorf("%s is listed twice", e.Name)
		}
		seen[e.Name] = true
		cfg := loadConfig(t, filepath.Join("config", e.Name+".yaml"))
		if cfg.Account != "" && (cfg.Account != e.Account || cfg.Region != e.Region) {
			t.Errorf("%s: listed for %s/%s, but its config pins %s/%s", e.Name, e.Account, e.Region, cfg.Account, cfg.Region)
		}
		for _, role := range []string{e.DiffRole, e.DeployRole} {
			if !strings.HasPrefix(role, "arn:aws:iam::"+e.Account+":role/") {
				t.Errorf("%s: role %q is not a role of account %s", e.Name, role, e.Account)
			}
		}
		if e.DiffRole == e.DeployRole {
			t.Errorf("%s: diff and deploy share the role %s; the diff role may only read", e.Name, e.DiffRole)
		}
	}
}
