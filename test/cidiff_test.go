package test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAWS is an aws command that answers cloudformation get-template from
// the templates in $FAKE_DEPLOYED, as the AWS CLI does, or fails as AWS
// does when $FAKE_AWS_ERROR is set. It refuses any other call: the diff may
// read templates and nothing else.
const fakeAWS = `#!/bin/sh
if [ "$1 $2" != "cloudformation get-template" ] || [ "$3" != "--stack-name" ]; then
  echo "unexpected aws call: $*" >&2
  exit 2
fi
if [ -n "$FAKE_AWS_ERROR" ]; then
  echo "$FAKE_AWS_ERROR" >&2
  exit 254
fi
if [ -f "$FAKE_DEPLOYED/$4.json" ]; then
  cat "$FAKE_DEPLOYED/$4.json"
  exit 0
fi
echo "" >&2
echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id $4 does not exist" >&2
exit 254
`

// TestCIDiff runs .ci/diff, which the workflow's diff job runs, on a
// synthesized staging assembly against deployed templates that a fake AWS
// CLI serves: only real deletions, replacements and broadenings block, and
// an AWS error is reported as an error, never as a finding.
func TestCIDiff(t *testing.T) {
	asm := synthOnce(t, "config/staging.yaml")
	if len(asm.Stacks) != 1 {
		t.Fatalf("got %d stacks, want staging's one", len(asm.Stacks))
	}
	stack := asm.Stacks[0]
	edit := func(change func(resources map[string]json.RawMessage)) []byte {
		var tmpl map[string]json.RawMessage
		if err := json.Unmarshal(stack.Template, &tmpl); err != nil {
			t.Fatal(err)
		}
		var resources map[string]json.RawMessage
		if err := json.Unmarshal(tmpl["Resources"], &resources); err != nil {
			t.Fatal(err)
		}
		change(resources)
		tmpl["Resources"], _ = json.Marshal(resources)
		raw, _ := json.Marshal(tmpl)
		return raw
	}
	withoutASchedule := edit(func(r map[string]json.RawMessage) {
		for id, body := range r {
			if strings.Contains(string(body), `"AWS::Scheduler::Schedule"`) {
				delete(r, id)
				return
			}
		}
	})
	withAQueueMore := edit(func(r map[string]json.RawMessage) {
		r["RetiredQueue"] = json.RawMessage(`{"Type": "AWS::SQS::Queue", "Properties": {}}`)
	})

	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWS), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		deployed     []byte // nil: not deployed yet
		awsError     string
		wantVerdict  string // "" for an error
		wantFindings string
		wantOutput   string
	}{
		{name: "unchanged", deployed: stack.Template, wantVerdict: "unchanged", wantOutput: "There were no differences"},
		{name: "a new schedule", deployed: withoutASchedule, wantVerdict: "changed", wantOutput: "[+] AWS::Scheduler::Schedule"},
		{name: "a resource removed", deployed: withAQueueMore, wantVerdict: "blocked",
			wantFindings: "QlikReloads-staging: deletes or replaces a resource\n", wantOutput: "[-] AWS::SQS::Queue RetiredQueue destroy"},
		{name: "first deploy", wantVerdict: "blocked",
			wantFindings: "QlikReloads-staging: broadens IAM permissions or network access\n", wantOutput: "IAM Statement Changes"},
		{name: "AWS error", awsError: "An error occurred (AccessDenied) when calling the GetTemplate operation: not authorized to perform cloudformation:GetTemplate",
			wantOutput: "could not read the deployed template of QlikReloads-staging, so there is no diff (this is not a finding): An error occurred (AccessDenied)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			deployed, out := t.TempDir(), t.TempDir()
			if tc.deployed != nil {
				if err := os.WriteFile(filepath.Join(deployed, stack.Name+".json"), tc.deployed, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(filepath.Join(moduleRoot(t), ".ci", "diff"), asm.Dir, out)
			cmd.Env = append(os.Environ(),
				"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"FAKE_DEPLOYED="+deployed, "FAKE_AWS_ERROR="+tc.awsError,
				// What configure-aws-credentials leaves: the offline diff must not see it.
				"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
				"CI=true")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			diff, _ := os.ReadFile(filepath.Join(out, "diff.txt"))
			verdict, _ := os.ReadFile(filepath.Join(out, "verdict"))
			findings, _ := os.ReadFile(filepath.Join(out, "findings.txt"))
			if tc.wantVerdict == "" {
				if err == nil || len(verdict) > 0 {
					t.Fatalf("got exit %v and verdict %q, want a failure and no verdict", err, verdict)
				}
				if !strings.Contains(stderr.String(), tc.wantOutput) || !strings.Contains(string(diff), tc.wantOutput) {
					t.Errorf("stderr:\n%s\ndiff.txt:\n%s\nwant both to say %q", stderr.String(), diff, tc.wantOutput)
				}
				return
			}
			if err != nil {
				t.Fatalf(".ci/diff: %v\n%s", err, stderr.String())
			}
			if got := strings.TrimSpace(string(verdict)); got != tc.wantVerdict {
				t.Errorf("verdict %q, want %q; diff:\n%s", got, tc.wantVerdict, diff)
			}
			if string(findings) != tc.wantFindings {
				t.Errorf("findings %q, want %q", findings, tc.wantFindings)
			}
			if !strings.Contains(string(diff), tc.wantOutput) {
				t.Errorf("diff.txt lacks %q:\n%s", tc.wantOutput, diff)
			}
		})
	}
}
