package stacks

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// GoToolchain is the Go release the function is built with. The Go version
// is embedded in the binary, so pinning it (rather than using whatever Go a
// machine has) is what makes the asset hash identical everywhere. It must
// match the go line of go.mod; a test keeps them in step.
const GoToolchain = "go1.26.8"

// LambdaPackage is the main package of the reload function, relative to the
// module root.
const LambdaPackage = "./lambda"

// goBundler builds the reload function with the local Go toolchain during
// synth, so that neither Docker nor a prebuilt binary is needed.
//
// jsii calls TryBundle through the awscdk.ILocalBundling interface; it must
// be used as a pointer, and it is handed only the output directory, so the
// module root travels in the struct.
type goBundler struct {
	moduleDir string
}

// BuildArgs returns the go command line that builds the function into
// output. The flags make the binary reproducible: -trimpath drops the
// checkout's path, -buildvcs=false keeps commit stamps out (a new commit
// would otherwise redeploy an unchanged function), and an empty build ID
// removes the last machine-dependent bytes.
func BuildArgs(output string) []string {
	return []string{
		"build",
		"-tags", "lambda.norpc",
		"-trimpath",
		"-buildvcs=false",
		"-ldflags=-s -w -buildid=",
		"-o", output,
		LambdaPackage,
	}
}

// BuildEnv returns the environment for BuildArgs: the current environment
// with every variable that changes the output bytes set explicitly, so that
// a developer's own go env settings cannot change the asset hash.
func BuildEnv(base []string) []string {
	return append(base,
		"CGO_ENABLED=0",
		"GOOS=linux",
		"GOARCH=arm64",
		"GOARM64=v8.0",
		"GOEXPERIMENT=",
		"GOFLAGS=-mod=readonly",
		"GOTOOLCHAIN="+GoToolchain,
	)
}

// TryBundle builds the bootstrap binary into outputDir. It reports failure
// on standard error with the compiler's own output; returning false then
// makes the CDK fall back to Docker, whose error follows ours.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	cmd := exec.Command("go", BuildArgs(filepath.Join(*outputDir, "bootstrap"))...)
	cmd.Dir = b.moduleDir
	cmd.Env = BuildEnv(os.Environ())
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the reload function (go %v in %s) failed: %v\n", BuildArgs("bootstrap"), b.moduleDir, err)
		return jsii.Bool(false)
	}
	return jsii.Bool(true)
}

// functionCode is the reload function's code asset: the bootstrap binary
// built from ./lambda, hashed by its bytes (OUTPUT). Hashing the source
// directory instead would miss changes in the internal packages the function
// imports.
func functionCode(moduleDir string) awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(moduleDir, "lambda")), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// The image is never pulled: the local bundler always answers
			// first. Its name says so if a failed build falls back to Docker.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("local-go-build-failed-see-the-error-above")),
			Local: &goBundler{moduleDir: moduleDir},
		},
	})
}
