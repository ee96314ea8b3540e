package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// TestTemplateValidationCoversWhatItShould: the CDK's template validation
// fails the synth on a broken resource in the core stack, and in a schedule
// stack when the context asks for every stack; a plain synth leaves the
// schedule stacks that hold rows out.
func TestTemplateValidationCoversWhatItShould(t *testing.T) {
	cases := []struct {
		name        string
		inSchedules bool
		// rowID puts the broken schedule among the core stack's row
		// schedules, under this construct ID.
		rowID       string
		validateAll bool
		wantFailure bool
	}{
		{name: "core stack", wantFailure: true},
		{name: "schedule stack with validateAllStacks", inSchedules: true, validateAll: true, wantFailure: true},
		{name: "schedule stack by default", inSchedules: true, wantFailure: false},
		// The first row schedule by logical ID stays, for the shape.
		{name: "first row schedule of the core stack", rowID: "a-broken", wantFailure: true},
		{name: "other row schedule of the core stack by default", rowID: "zz-broken", wantFailure: false},
		{name: "other row schedule of the core stack with validateAllStacks", rowID: "zz-broken", validateAll: true, wantFailure: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(func(c *config.Config) {
				c.ScheduleStacks = 2
				c.Reloads = nil
				for i := 0; i < 8; i++ {
					c.Reloads = append(c.Reloads, config.Reload{Name: fmt.Sprintf("report-%d", i), AppID: appID,
						Schedule: "cron(0 8 ? * MON-FRI *)", Timezone: "Europe/Stockholm", Enabled: true})
				}
			})
			held := 0
			for _, r := range cfg.Reloads {
				held += config.StackIndex(r.Name, 2)
			}
			if held == 0 || held == len(cfg.Reloads) {
				t.Fatalf("%d of %d rows hash to the schedule stack; pick names that fill both stacks", held, len(cfg.Reloads))
			}
			ctx := map[string]interface{}{
				"aws:cdk:bundling-stacks":                   []string{},
				"@aws-cdk/core:validateAgainstDefaultRules": true,
				// What the CDK CLI sets unless told otherwise; the core
				// stack's row schedules are told apart by their paths.
				"aws:cdk:enable-path-metadata": true,
			}
			if tc.validateAll {
				ctx[validateAllStacks] = true
			}
			outdir := filepath.Join(t.TempDir(), "out")
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
			env := NewEnvironment(app, cfg, Props{ModuleDir: moduleDir(t)})
			var scope constructs.Construct = env.Core.Stack
			id := "Broken"
			switch {
			case tc.inSchedules:
				scope = env.Schedules[0]
			case tc.rowID != "":
				scope = env.Core.Stack.Node().FindChild(jsii.String("Schedules")).(constructs.Construct)
				id = tc.rowID
			}
			// A schedule without its required target and time window.
			awscdk.NewCfnResource(scope, jsii.String(id), &awscdk.CfnResourceProps{
				Type:       jsii.String("AWS::Scheduler::Schedule"),
				Properties: &map[string]interface{}{"ScheduleExpression": "cron(0 8 ? * MON-FRI *)"},
			})
			var recovered interface{}
			func() {
				defer func() { recovered = recover() }()
				app.Synth(nil)
			}()
			failed := recovered != nil
			if failed != tc.wantFailure {
				t.Errorf("synth failed: %v, want %v", failed, tc.wantFailure)
			}
			if !failed || !tc.wantFailure {
				return
			}
			// Any panic would count as the failure wanted; only the
			// validation's, over the broken schedule, is. Its message names
			// no construct, so the report it points to is read for that.
			if msg := fmt.Sprint(recovered); !strings.Contains(msg, "ValidationFailed") {
				t.Fatalf("synth failed, but not in the validation: %s", msg)
			}
			paths, err := violatingPaths(filepath.Join(outdir, "validation-report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasSuffix(p, "/"+id) }) {
				t.Errorf("the validation report names %v, not the broken schedule %s", paths, id)
			}
		})
	}
}

// violatingPaths returns the construct paths a validation report names as
// violating a rule.
func violatingPaths(report string) ([]string, error) {
	raw, err := os.ReadFile(report)
	if err != nil {
		return nil, fmt.Errorf("read the validation report: %w", err)
	}
	var r struct {
		PluginReports []struct {
			Violations []struct {
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("parse the validation report %s: %w", report, err)
	}
	var paths []string
	for _, p := range r.PluginReports {
		for _, v := range p.Violations {
			for _, c := range v.ViolatingConstructs {
				paths = append(paths, c.ConstructPath)
			}
		}
	}
	return paths, nil
}

// TestTrimRowSchedules: the copy the core stack is validated from keeps
// every resource but the row schedules after the first by logical ID, and a
// template with nothing to trim is validated as it is.
func TestTrimRowSchedules(t *testing.T) {
	schedule := func(path string) map[string]interface{} {
		r := map[string]interface{}{"Type": "AWS::Scheduler::Schedule", "Properties": map[string]interface{}{"State": "ENABLED"}}
		if path != "" {
			r["Metadata"] = map[string]interface{}{"aws:cdk:path": path}
		}
		return r
	}
	queue := map[string]interface{}{"Type": "AWS::SQS::Queue", "Metadata": map[string]interface{}{"aws:cdk:path": "Env/Schedules/queue"}}
	cases := []struct {
		name      string
		resources map[string]interface{}
		wantKept  []string
		wantSame  bool
	}{
		{
			name: "rows trimmed to the first",
			resources: map[string]interface{}{
				"SchedulesB": schedule("Env/Schedules/b"), "SchedulesA": schedule("Env/Schedules/a"),
				"SchedulesC": schedule("Env/Schedules/c"), "WatcherSchedule": schedule("Env/Watcher/Schedule"),
				"Queue": queue,
			},
			wantKept: []string{"Queue", "SchedulesA", "WatcherSchedule"},
		},
		{
			name:      "one row",
			resources: map[string]interface{}{"SchedulesA": schedule("Env/Schedules/a"), "Queue": queue},
			wantSame:  true,
		},
		{
			name:      "no path metadata",
			resources: map[string]interface{}{"SchedulesA": schedule(""), "SchedulesB": schedule(""), "Queue": queue},
			wantSame:  true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "Env.template.json")
			raw, err := json.Marshal(map[string]interface{}{"Resources": tc.resources, "Parameters": map[string]interface{}{"P": map[string]interface{}{"Type": "String"}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := trimRowSchedules(path, "Env/Schedules/", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSame {
				if got != path {
					t.Errorf("trimmed to %s; want the template as it is", got)
				}
				return
			}
			if got == path {
				t.Fatal("nothing trimmed")
			}
			var trimmed struct {
				Resources  map[string]json.RawMessage
				Parameters map[string]json.RawMessage
			}
			if raw, err = os.ReadFile(got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &trimmed); err != nil {
				t.Fatal(err)
			}
			var kept []string
			for id := range trimmed.Resources {
				kept = append(kept, id)
			}
			sort.Strings(kept)
			if !reflect.DeepEqual(kept, tc.wantKept) {
				t.Errorf("kept %v, want %v", kept, tc.wantKept)
			}
			if len(trimmed.Parameters) != 1 {
				t.Errorf("the other sections were not kept: %s", raw)
			}
		})
	}
}
