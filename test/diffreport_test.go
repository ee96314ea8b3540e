package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// diffReportHarness runs .github/scripts/diff-report.js as actions/github-script
// does, with a fake GitHub API that holds the pull request's comments, and
// prints what the script left: the comments and the step summary.
const diffReportHarness = `
const report = require(process.argv[2]);
const [dir, environment, existing] = [process.argv[3], process.argv[4], JSON.parse(process.argv[5])];
const comments = (existing || []).map((c, i) => ({ ...c, id: i + 1 }));
const listComments = async () => ({ data: comments });
const github = {
  paginate: async (fn, args) => (await fn(args)).data,
  rest: { issues: {
    listComments,
    updateComment: async ({ comment_id, body }) => { comments.find((c) => c.id === comment_id).body = body; },
    createComment: async ({ body }) => { comments.push({ id: comments.length + 1, user: { login: 'github-actions[bot]' }, body }); },
  } },
};
let summary = '';
const core = { summary: { addRaw(s) { summary += s; return this; }, async write() {} } };
const context = {
  eventName: 'pull_request', serverUrl: 'https://github.com', runId: 42, sha: 'merge',
  repo: { owner: 'acme', repo: 'reloads' }, issue: { number: 7 },
  payload: { pull_request: { head: { sha: 'abc123' } } },
};
report({ github, context, core, environment, dir, fullDiffUrl: 'https://github.com/acme/reloads/actions/runs/42/artifacts/9' })
  .then(() => console.log(JSON.stringify({ comments, summary })))
  .catch((err) => { console.error(err); process.exit(1); });
`

type reportedComment struct {
	ID   int `json:"id"`
	User struct {
		Login string `json:"login"`
	} `json:"user"`
	Body string `json:"body"`
}

// runDiffReport writes .ci/diff's output files, runs the report on them
// with the given comments already on the pull request, and returns the
// comments afterwards and the step summary.
func runDiffReport(t *testing.T, files map[string]string, existing []reportedComment) ([]reportedComment, string) {
	t.Helper()
	node := filepath.Join(moduleRoot(t), ".tools", "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("the pinned Node.js is not installed (run make tools): %v", err)
	}
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	harness := filepath.Join(t.TempDir(), "harness.js")
	if err := os.WriteFile(harness, []byte(diffReportHarness), 0o644); err != nil {
		t.Fatal(err)
	}
	existingJSON, _ := json.Marshal(existing)
	script := filepath.Join(moduleRoot(t), ".github", "scripts", "diff-report.js")
	out, err := exec.Command(node, harness, script, dir, "staging", string(existingJSON)).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("diff-report.js: %v\n%s", err, stderr)
	}
	var got struct {
		Comments []reportedComment `json:"comments"`
		Summary  string            `json:"summary"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("harness output %q: %v", out, err)
	}
	return got.Comments, got.Summary
}

func comment(login, body string) reportedComment {
	c := reportedComment{Body: body}
	c.User.Login = login
	return c
}

// TestDiffReportUpdatesOneCommentPerEnvironment: each run replaces the
// environment's comment instead of adding one, and leaves other
// environments' comments and people's comments alone, even when they quote
// the marker.
func TestDiffReportUpdatesOneCommentPerEnvironment(t *testing.T) {
	const marker = "<!-- qlik-reload-triggers cdk diff: staging -->"
	existing := []reportedComment{
		comment("octocat", marker+"\nquoted by a person"),
		comment("github-actions[bot]", "<!-- qlik-reload-triggers cdk diff: prod -->\nprod's diff"),
		comment("github-actions[bot]", marker+"\nthe previous run's diff"),
	}
	files := map[string]string{"diff.txt": "Stack QlikReloads-staging\nThere were no differences\n", "verdict": "unchanged\n"}
	got, summary := runDiffReport(t, files, existing)
	if len(got) != 3 {
		t.Fatalf("got %d comments, want the 3 there were:\n%+v", len(got), got)
	}
	if got[0].Body != existing[0].Body || got[1].Body != existing[1].Body {
		t.Errorf("changed a comment that is not staging's own: %+v", got[:2])
	}
	if !strings.HasPrefix(got[2].Body, marker) || !strings.Contains(got[2].Body, "There were no differences") ||
		!strings.Contains(got[2].Body, "No changes: nothing to deploy.") || !strings.Contains(got[2].Body, "Commit abc123") {
		t.Errorf("staging's comment was not replaced by this run's diff:\n%s", got[2].Body)
	}
	if summary != got[2].Body {
		t.Errorf("the step summary differs from the comment:\n%s", summary)
	}

	got, _ = runDiffReport(t, files, nil)
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, marker) {
		t.Errorf("on a pull request without one, got comments %+v, want staging's new one", got)
	}
}

// TestDiffReportFitsGitHubsCommentLimit: GitHub refuses a comment over
// 65,536 characters, which a large table's first deploy exceeds; the
// comment is cut at a line with a pointer to the whole diff, and the
// verdicts never read as one another.
func TestDiffReportFitsGitHubsCommentLimit(t *testing.T) {
	var big strings.Builder
	for i := 0; big.Len() < 300_000; i++ {
		big.WriteString("[+] AWS::Scheduler::Schedule Schedules/row-")
		big.WriteString(strings.Repeat("x", i%50))
		big.WriteString(" ```\n")
	}
	cases := []struct {
		name     string
		files    map[string]string
		want     []string
		wantNot  []string
		maxChars int
	}{
		{
			name:     "large blocked diff",
			files:    map[string]string{"diff.txt": big.String(), "verdict": "blocked\n", "findings.txt": "QlikReloads-staging: broadens IAM permissions or network access\n"},
			want:     []string{"**Blocked:**", "- QlikReloads-staging: broadens IAM permissions or network access", "reviewer of the `change-approval` environment", "**Truncated:**", "(https://github.com/acme/reloads/actions/runs/42/artifacts/9)"},
			maxChars: 65536,
		},
		{
			name:    "AWS error",
			files:   map[string]string{"diff.txt": "could not read the deployed template of QlikReloads-staging, so there is no diff (this is not a finding): AccessDenied\n"},
			want:    []string{"**Error:** the diff could not run", "AccessDenied"},
			wantNot: []string{"Blocked", "Truncated"},
		},
		{
			name:    "diff role not assumed",
			files:   map[string]string{},
			want:    []string{"**Error:** the diff could not run", "No output: the job failed before the diff started"},
			wantNot: []string{"Blocked", "No changes"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, summary := runDiffReport(t, tc.files, nil)
			if len(got) != 1 {
				t.Fatalf("got %d comments, want 1", len(got))
			}
			body := got[0].Body
			// GitHub counts characters; JavaScript's length counts UTF-16
			// units, never fewer.
			if tc.maxChars > 0 && len([]rune(body)) > tc.maxChars {
				t.Errorf("comment has %d characters, over GitHub's limit of %d", len([]rune(body)), tc.maxChars)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("comment lacks %q:\n%.2000s", w, body)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(body, w) {
					t.Errorf("comment says %q:\n%.2000s", w, body)
				}
			}
			if tc.maxChars == 0 {
				return
			}
			// The diff's own backticks must not close the code block early,
			// and the cut diff's block is closed before the pointer.
			if !strings.Contains(body, "````text\n") || !strings.Contains(body, " ```\n````\n\n**Truncated:**") {
				t.Errorf("comment fences the diff with fewer backticks than it holds, or cuts mid-line:\n%.500s", body)
			}
			if len(summary) <= len(body) {
				t.Errorf("the step summary (%d bytes) is cut as short as the comment", len(summary))
			}
		})
	}
}
