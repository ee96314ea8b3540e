package test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/golden")

// environments returns the config files of config/, each of which CI
// synthesizes.
func environments(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(moduleRoot(t), "config", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("config/ holds no environment")
	}
	var rel []string
	for _, f := range files {
		rel = append(rel, filepath.ToSlash(filepath.Join("config", filepath.Base(f))))
	}
	return rel
}

// TestGoldenTemplates compares every environment's templates, asset hashes
// masked, with the reviewed copies under testdata/golden/ENV. A change to the
// stacks or to a config file shows up here as a diff to review; refresh them
// with `go test ./test -run GoldenTemplates -update`. `make diff-local` shows
// the same comparison as a cdk diff.
func TestGoldenTemplates(t *testing.T) {
	for _, path := range environments(t) {
		env := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(env, func(t *testing.T) {
			asm := synthOnce(t, path)
			dir := filepath.Join("testdata", "golden", env)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			want, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range asm.Stacks {
				file := filepath.Join(dir, s.Name+".template.json")
				got = append(got, file)
				masked := assembly.Mask(s.Template)
				if *update {
					if err := os.WriteFile(file, masked, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				golden, err := os.ReadFile(file)
				if err != nil {
					t.Errorf("stack %s has no golden template (%v); for a new environment or stack, create it with %s, then review and commit it", s.Name, err, refreshCommand(env))
					continue
				}
				if !bytes.Equal(masked, golden) {
					t.Errorf("stack %s differs from %s (-got +want); review, then refresh with %s:\n%s",
						s.Name, file, refreshCommand(env), cmp.Diff(string(masked), string(golden)))
				}
			}
			if !*update {
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("stacks of %s (-synthesized +golden); refresh with %s:\n%s", env, refreshCommand(env), diff)
				}
			}
		})
	}
}

// refreshCommand is the command that rewrites an environment's golden
// templates: make golden puts the project's pinned Node.js first in PATH,
// which jsii runs on; the go test line does the same by hand.
func refreshCommand(env string) string {
	return fmt.Sprintf("`make golden ENV=%s` (or `PATH=\"$PWD/.tools/node_modules/.bin:$PATH\" go test ./test -run 'GoldenTemplates/^%s$' -update`)", env, env)
}
