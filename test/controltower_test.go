package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
)

// validatorDir is where make test-tools installs the CDK's cfn-guard
// validator, with its cfn-guard binary and AWS Control Tower's proactive
// control rules.
const validatorDir = ".tools/test/node_modules/@cdklabs/cdk-validator-cfnguard"

// TestControlTower runs cfn-guard with AWS Control Tower's proactive
// control rules over every synthesized template of every environment and
// of the strict environment. The strict environment must pass every rule;
// every rule another environment fails
// must be listed in the README with the option that satisfies it. No
// template may hold a secret value.
func TestControlTower(t *testing.T) {
	guard := cfnGuard(t)
	documented := readmeControls(t)
	variants := append(environments(t), "test/testdata/strict.yaml")
	for _, file := range variants {
		t.Run(path.Base(file), func(t *testing.T) {
			asm := synthOnce(t, file)
			for _, s := range asm.Stacks {
				if bytes.Contains(s.Template, []byte(`"SecretString"`)) || bytes.Contains(s.Template, []byte(`"GenerateSecretString"`)) {
					t.Errorf("%s: the template sets a secret value", s.Name)
				}
			}
			strict := strings.HasSuffix(file, "strict.yaml")
			for _, f := range runGuard(t, guard, asm) {
				switch {
				case strict:
					t.Errorf("%s: %s (%s) fails on %s", f.stack, f.control, f.rule, f.cdkPath)
				case documented[f.control] == "":
					t.Errorf("%s: %s (%s) fails on %s, and the README does not say which option satisfies it", f.stack, f.control, f.rule, f.cdkPath)
				}
			}
		})
	}
}

// cfnGuard returns the pinned cfn-guard binary for this machine.
func cfnGuard(t *testing.T) string {
	t.Helper()
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if runtime.GOOS != "linux" || arch == "" {
		t.Skipf("the validator bundles cfn-guard for Linux on x86_64 and aarch64 only, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	bin := filepath.Join(moduleRoot(t), validatorDir, "bin", "ubuntu", arch, "cfn-guard")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("cfn-guard is not installed (%v); run make test-tools", err)
	}
	return bin
}

// guardFinding is one Control Tower rule that a resource fails.
type guardFinding struct {
	stack, control, rule, cdkPath string
}

var (
	controlID    = regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.[0-9]+)\]`)
	resourcePath = regexp.MustCompile(`"/Resources/([^/"]+)`)
)

// runGuard validates every template of asm and returns the findings, each
// with the construct path of the resource that fails.
func runGuard(t *testing.T, bin string, asm *assembly.Assembly) []guardFinding {
	t.Helper()
	args := []string{"validate", "--rules", filepath.Join(moduleRoot(t), validatorDir, "rules", "control-tower", "cfn-guard"),
		"--output-format", "json", "--show-summary", "none"}
	stackOf := map[string]assembly.Stack{}
	for _, s := range asm.Stacks {
		file := filepath.Join(asm.Dir, s.TemplateFile)
		args = append(args, "--data", file)
		stackOf[file] = s
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	// cfn-guard exits 19 when a rule fails, and 0 when none does.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 19) {
		t.Fatalf("cfn-guard: %v\n%s", err, stderr.String())
	}

	var findings []guardFinding
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var report struct {
			Name         string            `json:"name"`
			Status       string            `json:"status"`
			NotCompliant []json.RawMessage `json:"not_compliant"`
		}
		if err := dec.Decode(&report); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("read cfn-guard's report: %v", err)
		}
		if report.Status != "FAIL" {
			continue
		}
		s, ok := stackOf[report.Name]
		if !ok {
			t.Fatalf("cfn-guard reports on %s, which is no template of the assembly", report.Name)
		}
		paths := cdkPaths(t, s.Template)
		for _, raw := range report.NotCompliant {
			var rule struct {
				Rule struct {
					Name string `json:"name"`
				} `json:"Rule"`
			}
			if err := json.Unmarshal(raw, &rule); err != nil {
				t.Fatalf("read cfn-guard's report: %v", err)
			}
			control := "no Control Tower ID"
			if m := controlID.FindSubmatch(raw); m != nil {
				control = string(m[1])
			}
			seen := map[string]bool{}
			for _, m := range resourcePath.FindAllSubmatch(raw, -1) {
				id := string(m[1])
				if seen[id] {
					continue
				}
				seen[id] = true
				findings = append(findings, guardFinding{stack: s.Name, control: control, rule: rule.Rule.Name, cdkPath: paths[id]})
			}
			if len(seen) == 0 {
				findings = append(findings, guardFinding{stack: s.Name, control: control, rule: rule.Rule.Name, cdkPath: "the template"})
			}
		}
	}
	sort.Slice(findings, func(i, j int) bool {
		return findings[i].stack+findings[i].control < findings[j].stack+findings[j].control
	})
	return findings
}

// cdkPaths maps a template's logical IDs to their construct paths.
func cdkPaths(t *testing.T, template []byte) map[string]string {
	t.Helper()
	var tmpl struct {
		Resources map[string]struct {
			Metadata struct {
				Path string `json:"aws:cdk:path"`
			} `json:"Metadata"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(template, &tmpl); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for id, r := range tmpl.Resources {
		paths[id] = r.Metadata.Path
	}
	return paths
}

// readmeControls returns the Control Tower rules the README lists, with the
// option it names for each: the rows of its table that start with a
// control's ID.
func readmeControls(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	controls := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\| (CT\.[A-Z0-9]+\.PR\.[0-9]+) \|[^|]*\| ([^|]+) \|$`).FindAllStringSubmatch(string(raw), -1) {
		controls[m[1]] = strings.TrimSpace(m[2])
	}
	if len(controls) == 0 {
		t.Fatal("the README lists no Control Tower rule")
	}
	return controls
}
