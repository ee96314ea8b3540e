package stacks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// goToolchain is the Go release the function is built with. The Go version
// is embedded in the binary, so pinning it (rather than using whatever Go a
// machine has) is what makes the asset hash identical everywhere. It must
// match the go line of go.mod; a test keeps them in step.
const goToolchain = "go1.26.8"

// lambdaPackage is the main package of the reload function, relative to the
// module root.
const lambdaPackage = "./lambda"

// goBundler builds the reload function with the local Go toolchain during
// synth, so that neither Docker nor a prebuilt binary is needed.
//
// jsii calls TryBundle through the awscdk.ILocalBundling interface; it must
// be used as a pointer, and it is handed only the output directory, so the
// module root (or a build already under way) travels in the struct.
type goBundler struct {
	moduleDir string
	early     *FunctionBuild
	// files are written beside the binary, by name: the chain graph.
	files map[string][]byte
}

// buildArgs returns the go command line that builds the function into
// output. The flags make the binary reproducible: -trimpath drops the
// checkout's path, -buildvcs=false keeps commit stamps out (a new commit
// would otherwise redeploy an unchanged function), and an empty build ID
// removes the last machine-dependent bytes.
func buildArgs(output string) []string {
	return []string{
		"build",
		"-tags", "lambda.norpc",
		"-trimpath",
		"-buildvcs=false",
		"-ldflags=-s -w -buildid=",
		"-o", output,
		lambdaPackage,
	}
}

// buildEnv returns the environment for buildArgs: the current environment
// with every variable that changes the output bytes set explicitly, so that
// a developer's own go env settings cannot change the asset hash.
func buildEnv(base []string) []string {
	return append(base,
		"CGO_ENABLED=0",
		"GOOS=linux",
		"GOARCH=arm64",
		"GOARM64=v8.0",
		"GOEXPERIMENT=",
		"GOFLAGS=-mod=readonly",
		"GOTOOLCHAIN="+goToolchain,
	)
}

// buildCommand returns the go build of the function into output.
func buildCommand(ctx context.Context, moduleDir, output string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", buildArgs(output)...)
	cmd.Dir = moduleDir
	cmd.Env = buildEnv(os.Environ())
	return cmd
}

// FunctionBuild is a build of the reload function started before the CDK
// app: the Go build and the start of jsii and Node.js each take about a
// second, and on two cores they overlap. The synth then only copies the
// binary.
type FunctionBuild struct {
	dir    string
	cancel context.CancelFunc
	done   chan struct{}
	out    []byte
	err    error
}

// StartFunctionBuild starts building the function from moduleDir in the
// background. Close it when the app is done, whether or not the synth used
// it.
func StartFunctionBuild(moduleDir string) *FunctionBuild {
	ctx, cancel := context.WithCancel(context.Background())
	b := &FunctionBuild{cancel: cancel, done: make(chan struct{})}
	b.dir, b.err = os.MkdirTemp("", "qlik-reload-function-")
	if b.err != nil {
		close(b.done)
		return b
	}
	cmd := buildCommand(ctx, moduleDir, filepath.Join(b.dir, "bootstrap"))
	go func() {
		defer close(b.done)
		b.out, b.err = cmd.CombinedOutput()
	}()
	return b
}

// Close stops the build if it still runs and removes its output.
func (b *FunctionBuild) Close() {
	b.cancel()
	<-b.done
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// copyTo waits for the build and copies the binary into dir.
func (b *FunctionBuild) copyTo(dir string) error {
	<-b.done
	if b.err != nil {
		return fmt.Errorf("%w\n%s", b.err, b.out)
	}
	raw, err := os.ReadFile(filepath.Join(b.dir, "bootstrap"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bootstrap"), raw, 0o755)
}

// TryBundle puts the bootstrap binary into outputDir, from the early build
// when there is one. It reports failure on standard error with the
// compiler's own output; returning false then makes the CDK fall back to
// Docker, whose error follows ours.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	var err error
	if b.early != nil {
		err = b.early.copyTo(*outputDir)
	} else {
		cmd := buildCommand(context.Background(), b.moduleDir, filepath.Join(*outputDir, "bootstrap"))
		cmd.Stdout = os.Stderr
		cmd.Stderr = os.Stderr
		err = cmd.Run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the reload function (go %v in %s) failed: %v\n", buildArgs("bootstrap"), b.moduleDir, err)
		return jsii.Bool(false)
	}
	for name, data := range b.files {
		if err := os.WriteFile(filepath.Join(*outputDir, name), data, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "bundling %s with the reload function failed: %v\n", name, err)
			return jsii.Bool(false)
		}
	}
	return jsii.Bool(true)
}

// functionCode is the reload function's code asset: the bootstrap binary
// built from ./lambda and files, written beside it, hashed by their bytes
// (OUTPUT). Hashing the source directory instead would miss changes in the
// internal packages the function imports.
func functionCode(moduleDir string, early *FunctionBuild, files map[string][]byte) awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(moduleDir, "lambda")), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// The image is never pulled: the local bundler always answers
			// first. Its name says so if a failed build falls back to Docker.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("local-go-build-failed-see-the-error-above")),
			Local: &goBundler{moduleDir: moduleDir, early: early, files: files},
		},
	})
}
