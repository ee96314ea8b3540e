package test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// makeTrailer is the line make adds when a recipe fails.
var makeTrailer = regexp.MustCompile(`^make(\[\d+\])?: \*\*\* `)

// TestMakeStopsWithoutAWSCredentials: the targets that need AWS stop
// before any synth with one line that says how to provide credentials,
// not a minute later with the CDK CLI's stack trace. Nothing here can reach
// AWS: every endpoint points at a server that fails the test.
func TestMakeStopsWithoutAWSCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("make called AWS: %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	// HOME stays, for Go's caches; the AWS files point at nothing instead.
	none := t.TempDir() + "/none"
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "AWS_") && name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL="+srv.URL)

	for _, target := range []string{"diff", "deploy", "bootstrap", "destroy"} {
		t.Run(target, func(t *testing.T) {
			cmd := exec.Command("make", "-s", "--no-print-directory", target, "ENV=staging")
			cmd.Dir = moduleRoot(t)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err == nil {
				t.Fatalf("make %s succeeded without credentials", target)
			}
			want := "make " + target + " ENV=staging needs AWS credentials and found none: sign in with aws sso login --profile NAME and run AWS_PROFILE=NAME make " + target + " ENV=staging, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
			var ours []string
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				if !makeTrailer.MatchString(line) {
					ours = append(ours, line)
				}
			}
			if len(ours) != 1 || ours[0] != want {
				t.Errorf("stderr:\n%s\nwant one line:\n%s", stderr.String(), want)
			}
			if strings.Contains(stdout.String(), "Synthesizing") {
				t.Errorf("make %s synthesized before checking credentials:\n%s", target, stdout.String())
			}
		})
	}
}

// TestMakeDiffUsesOptionsTheCLIHas: CDK CLI 2.1148.1 has no --all for
// diff (it warns and ignores it); diff takes every top-level stack anyway.
func TestMakeDiffUsesOptionsTheCLIHas(t *testing.T) {
	cmd := exec.Command("make", "-n", "--no-print-directory", "diff", "ENV=staging")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n diff: %v", err)
	}
	var diff string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "cdk --no-notices diff") {
			diff = line
		}
	}
	if diff == "" || strings.Contains(diff, "--all") || !strings.Contains(diff, "-c env=staging") {
		t.Errorf("make diff runs %q, want cdk diff of staging without --all:\n%s", diff, out)
	}
}
