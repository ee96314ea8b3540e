package stacks

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
		validateAll bool
		wantFailure bool
	}{
		{name: "core stack", wantFailure: true},
		{name: "schedule stack with validateAllStacks", inSchedules: true, validateAll: true, wantFailure: true},
		{name: "schedule stack by default", inSchedules: true, wantFailure: false},
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
			if held == 0 {
				t.Fatal("no row hashes to the schedule stack; pick other names")
			}
			ctx := map[string]interface{}{
				"aws:cdk:bundling-stacks":                   []string{},
				"@aws-cdk/core:validateAgainstDefaultRules": true,
			}
			if tc.validateAll {
				ctx[validateAllStacks] = true
			}
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(t.TempDir(), "out")), Context: &ctx})
			env := NewEnvironment(app, cfg, Props{ModuleDir: moduleDir(t)})
			var stack awscdk.Stack = env.Core.Stack
			if tc.inSchedules {
				stack = env.Schedules[0]
			}
			// A schedule without its required target and time window.
			awscdk.NewCfnResource(stack, jsii.String("Broken"), &awscdk.CfnResourceProps{
				Type:       jsii.String("AWS::Scheduler::Schedule"),
				Properties: &map[string]interface{}{"ScheduleExpression": "cron(0 8 ? * MON-FRI *)"},
			})
			failed := func() (failed bool) {
				defer func() { failed = recover() != nil }()
				app.Synth(nil)
				return false
			}()
			if failed != tc.wantFailure {
				t.Errorf("synth failed: %v, want %v", failed, tc.wantFailure)
			}
		})
	}
}
