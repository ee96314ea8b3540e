package stacks

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// TestLoweringScheduleStacksKeepsEmptiedStacks: lowering scheduleStacks
// from 4 to 2 with the high-water mark at 4 still synthesizes stacks 2 and
// 3, with no resources, so that the CDK CLI deletes them and their
// schedules on deploy; every row is in stacks 0 and 1, once.
func TestLoweringScheduleStacksKeepsEmptiedStacks(t *testing.T) {
	rows := make([]config.Reload, 0, 40)
	for i := range 40 {
		rows = append(rows, config.Reload{Name: fmt.Sprintf("row-%02d", i), AppID: appID, Schedule: "rate(1 day)", Timezone: "UTC", Enabled: true})
	}
	cfg := testConfig(func(c *config.Config) {
		c.Reloads = rows
		c.ScheduleStacks, c.ScheduleStacksHighWater = 2, 4
	})
	env := newEnvironment(t, cfg)
	stacks := append([]awscdk.Stack{env.Core.Stack}, env.Schedules...)
	if len(stacks) != 4 {
		t.Fatalf("got %d stacks, want 4: the two in use and the two emptied", len(stacks))
	}
	schedules := 0
	for i, stack := range stacks {
		if got, want := *stack.StackName(), StackName("unit", i); got != want {
			t.Errorf("stack %d is named %s, want %s", i, got, want)
		}
		tmpl := assertions.Template_FromStack(stack, nil)
		// The rows' schedules, not the watcher's, which alone has a name.
		n := len(*tmpl.FindResources(jsii.String("AWS::Scheduler::Schedule"), map[string]interface{}{
			"Properties": map[string]interface{}{"Name": assertions.Match_Absent()},
		}))
		schedules += n
		if i >= 2 {
			if res, ok := (*tmpl.ToJSON())["Resources"]; ok {
				t.Errorf("emptied stack %d still has resources: %v", i, res)
			}
			continue
		}
		if n == 0 {
			t.Errorf("stack %d in use holds no schedules", i)
		}
	}
	if schedules != len(rows) {
		t.Errorf("got %d schedules, want %d", schedules, len(rows))
	}
}

// TestStacksDoNotImportTheFunction: the stacks describe the function's
// settings, never its code; importing the credential or reload packages
// would let a change of the function's internals change templates.
func TestStacksDoNotImportTheFunction(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/credential", "/internal/qlik", "/internal/reload"} {
			if strings.HasSuffix(pkg, banned) {
				t.Errorf("the stacks import %s", pkg)
			}
		}
	}
}
