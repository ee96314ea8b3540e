package awsaccess

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isolate gives the test an AWS setup of its own: the given shared config
// and credentials files, no AWS variables from the machine, no instance
// metadata, and every AWS endpoint pointed at a server that fails the test,
// so that nothing here can reach AWS.
func isolate(t *testing.T, configFile, credentialsFile string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the check called AWS: %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", write("config", configFile))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", write("credentials", credentialsFile))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_REGION", "eu-west-1")
}

func TestCheck(t *testing.T) {
	const command = "make deploy ENV=prod"
	cases := []struct {
		name        string
		env         map[string]string
		config      string
		credentials string
		profile     string
		want        string // "" for credentials found
	}{
		{
			name: "nothing",
			want: "make deploy ENV=prod needs AWS credentials and found none: sign in with aws sso login --profile NAME and run AWS_PROFILE=NAME make deploy ENV=prod, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		},
		{
			name: "environment keys",
			env:  map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		},
		{
			name:        "profile with keys",
			env:         map[string]string{"AWS_PROFILE": "dev"},
			profile:     "dev",
			credentials: "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		},
		{
			name:    "unknown profile",
			env:     map[string]string{"AWS_PROFILE": "prod-admin"},
			profile: "prod-admin",
			want:    "make deploy ENV=prod needs AWS credentials, but profile prod-admin is not in your AWS config: add it with aws configure sso --profile prod-admin, or run AWS_PROFILE=NAME make deploy ENV=prod with a profile you have",
		},
		{
			name:    "SSO profile not signed in",
			env:     map[string]string{"AWS_PROFILE": "sso"},
			profile: "sso",
			config:  "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = Deployer\n",
			want:    "sign in with aws sso login --profile sso (or fix the profile), then run it again",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t, tc.config, tc.credentials)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := Check(context.Background(), command, tc.profile)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want credentials found", err)
				}
				return
			}
			var missing *MissingError
			if !errors.As(err, &missing) {
				t.Fatalf("got %v, want a *MissingError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("got message\n%s\nwant it to contain\n%s", msg, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message spans lines:\n%s", msg)
			}
		})
	}
}
