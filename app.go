// Command app is the CDK app: it reads which environment to synthesize from
// the CDK context, loads and validates that environment's config table, and
// composes its stacks. It does nothing else.
//
//	cdk synth -c env=prod              # config/prod.yaml
//	cdk synth -c config=path/to.yaml   # any file
//	cdk synth                          # config/example.yaml
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/stacks"
)

// defaultConfig is synthesized when the context names no environment; it
// needs no AWS account.
const defaultConfig = "config/example.yaml"

func main() {
	// The CDK CLI runs the app in the directory of cdk.json, which is the
	// module root the function is built from.
	moduleDir, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "find the module root:", err)
		os.Exit(1)
	}
	// Building the function now overlaps the Go build with the start of
	// jsii and Node.js.
	build := stacks.StartFunctionBuild(moduleDir)
	// So does loading a large table: 20,000 rows take about as long as the
	// start. Which file to load is context, which the app reads only once
	// jsii has started, so the early load follows the context the CDK CLI
	// passes in the environment, and compose uses it only when the app's
	// context names the same file.
	early := startLoad(os.Getenv("CDK_CONTEXT_JSON"))
	app := awscdk.NewApp(nil)
	err = compose(app, moduleDir, build, early)
	if err == nil {
		app.Synth(nil)
	}
	build.Close()
	jsii.Close()
	if err != nil {
		// Exiting before Synth leaves nothing deployable behind.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// compose loads the selected environment and adds its stacks to the app.
func compose(app awscdk.App, moduleDir string, build *stacks.FunctionBuild, early *configLoad) error {
	path, err := configPath(contextString(app, "env"), contextString(app, "config"))
	if err != nil {
		return err
	}
	cfg, err := early.result(path)
	if err != nil {
		var problems config.Problems
		if errors.As(err, &problems) {
			return fmt.Errorf("%s has %d problem(s); nothing was synthesized:\n%w", path, len(problems), err)
		}
		return err
	}
	stacks.NewEnvironment(app, cfg, stacks.Props{ModuleDir: moduleDir, Build: build,
		NoTemplateValidation: os.Getenv("CDK_VALIDATION") == "false"})
	return nil
}

// loadConfig loads and validates the table at path.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.LoadFile(path)
	if err != nil {
		return nil, err
	}
	// A row with no run left would deploy a schedule that never fires.
	if stale := cfg.Stale(time.Now()); len(stale) > 0 {
		return nil, stale
	}
	return cfg, nil
}

// configLoad is a loadConfig run in the background.
type configLoad struct {
	path string
	done chan struct{}
	cfg  *config.Config
	err  error
}

// startLoad starts loading the table that the context in contextJSON (the
// CDK CLI's CDK_CONTEXT_JSON) selects. It returns nil, and loads nothing,
// when that context cannot be read or selects no valid path: compose then
// reports what is wrong from the app's own context.
func startLoad(contextJSON string) *configLoad {
	var context map[string]interface{}
	if json.Unmarshal([]byte(contextJSON), &context) != nil {
		return nil
	}
	path, err := configPath(contextText(context["env"]), contextText(context["config"]))
	if err != nil {
		return nil
	}
	l := &configLoad{path: path, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.cfg, l.err = loadConfig(path)
	}()
	return l
}

// result returns the table at path: the early load's when it loaded that
// path, a new load's otherwise.
func (l *configLoad) result(path string) (*config.Config, error) {
	if l == nil || l.path != path {
		return loadConfig(path)
	}
	<-l.done
	return l.cfg, l.err
}

// configPath picks the config file from the env and config context values.
func configPath(env, file string) (string, error) {
	switch {
	case env != "" && file != "":
		return "", fmt.Errorf("both -c env=%s and -c config=%s are set; use one of them", env, file)
	case file != "":
		return file, nil
	case env != "":
		if ext := filepath.Ext(env); ext == ".yaml" || ext == ".yml" {
			name := strings.TrimSuffix(env, ext)
			return "", fmt.Errorf("-c env=%s names the file, not the environment: use ENV=%s with make, or -c env=%s", env, name, name)
		}
		if env != filepath.Base(env) || env == "." || env == ".." {
			return "", fmt.Errorf("-c env=%s: give the name of a file in config/ without .yaml, or use -c config=PATH", env)
		}
		return filepath.Join("config", env+".yaml"), nil
	default:
		return defaultConfig, nil
	}
}

// contextString reads a context value given with -c KEY=VALUE or in
// cdk.json; non-string values are read as their text.
func contextString(app awscdk.App, key string) string {
	return contextText(app.Node().TryGetContext(jsii.String(key)))
}

// contextText is a context value as text: empty when unset.
func contextText(v interface{}) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
