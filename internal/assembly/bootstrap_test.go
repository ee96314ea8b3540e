package assembly

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeAssembly writes a one-stack assembly whose provided.al2023 function
// has its code in asset.abc, with a bootstrap of the given mode (none when
// mode is 0). The function's S3 key is key.
func writeAssembly(t *testing.T, key string, mode fs.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"manifest.json": `{"version": "55.0.0", "artifacts": {
  "Demo.assets": {"type": "cdk:asset-manifest", "properties": {"file": "Demo.assets.json"}},
  "Demo": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Demo.template.json", "stackName": "QlikReloads-demo"}}}}`,
		"Demo.assets.json": `{"version": "55.0.0", "files": {
  "abc": {"source": {"path": "asset.abc", "packaging": "zip"}, "destinations": {"d": {"bucketName": "b", "objectKey": "abc.zip"}}},
  "tmpl": {"source": {"path": "Demo.template.json", "packaging": "file"}, "destinations": {"d": {"bucketName": "b", "objectKey": "tmpl.json"}}}}}`,
		"Demo.template.json": `{"Resources": {
  "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": {"S3Bucket": "b", "S3Key": "` + key + `"}}},
  "NodeFn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs22.x", "Code": {"ZipFile": "exports.handler = async () => {}"}}}}}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "asset.abc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if mode != 0 {
		path := filepath.Join(dir, "asset.abc", "bootstrap")
		if err := os.WriteFile(path, []byte("\x7fELF"), 0o600); err != nil {
			t.Fatal(err)
		}
		// Chmod, not WriteFile's mode, which the umask narrows.
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFunctionBootstraps(t *testing.T) {
	cases := []struct {
		name        string
		key         string
		mode        fs.FileMode
		wantMode    fs.FileMode
		wantMissing bool
		wantErr     string
	}{
		{name: "executable", key: "abc.zip", mode: 0o755},
		{name: "artifact without modes", key: "abc.zip", mode: 0o644, wantMode: 0o644, wantErr: "has mode 0644 and Lambda cannot start it"},
		{name: "owner only", key: "abc.zip", mode: 0o744, wantMode: 0o744, wantErr: "has mode 0744"},
		{name: "not built", key: "abc.zip", wantMissing: true, wantErr: "asset.abc/bootstrap does not exist"},
		{name: "code elsewhere", key: "other.zip", mode: 0o755, wantErr: "other.zip is not an asset of the assembly"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeAssembly(t, tc.key, tc.mode)
			found, err := FunctionBootstraps(dir)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if len(found) != 1 || found[0].Stack != "QlikReloads-demo" || found[0].Function != "Fn" ||
					found[0].Path != filepath.Join("asset.abc", "bootstrap") || found[0].Mode.Perm() != tc.mode {
					t.Fatalf("got %+v, want the one bootstrap of function Fn with mode %04o", found, tc.mode)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want one saying %q", err, tc.wantErr)
			}
			if tc.wantMode == 0 && !tc.wantMissing {
				return
			}
			var nx *NotExecutableError
			if !errors.As(err, &nx) {
				t.Fatalf("got %T, want a *NotExecutableError", err)
			}
			if nx.Missing != tc.wantMissing || nx.Mode.Perm() != tc.wantMode || nx.Function != "Fn" {
				t.Errorf("got %+v, want function Fn, mode %04o, missing %v", nx, tc.wantMode, tc.wantMissing)
			}
		})
	}
}
