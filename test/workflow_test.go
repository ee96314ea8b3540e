package test

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/rhysd/actionlint"
)

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
