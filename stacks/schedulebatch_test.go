package stacks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// TestBatchRendersWhatOneCallPerScheduleRenders: the schedules NewSchedules
// adds in one call into the jsii kernel render the same resources, logical
// IDs and properties as awsscheduler.NewCfnSchedule called once per row with
// the same props, for every kind of row: with and without a description, on
// the minute and with a flexible window, enabled and disabled, and with the
// shared target given as tokens.
func TestBatchRendersWhatOneCallPerScheduleRenders(t *testing.T) {
	rows := []config.Reload{
		{Name: "plain", AppID: appID, Schedule: "cron(0 8 ? * MON-FRI *)", Timezone: "Europe/Stockholm", Enabled: true},
		{Name: "described", AppID: appID, Schedule: "rate(2 hours)", Timezone: "UTC", Enabled: true, Description: `Sales "daily" — ÅÄÖ`},
		{Name: "flexible", AppID: appID, Schedule: "cron(30 6 * * ? *)", Timezone: "America/New_York", Enabled: true, FlexibleWindowMinutes: 15},
		{Name: "disabled", AppID: appID, Schedule: "at(2030-01-01T00:00:00)", Timezone: "Asia/Tokyo"},
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{"aws:cdk:bundling-stacks": []string{}}})
	batched := awscdk.NewStack(app, jsii.String("Batched"), nil)
	oneByOne := awscdk.NewStack(app, jsii.String("OneByOne"), nil)
	target := namedTarget("unit")

	NewSchedules(batched, "Schedules", &SchedulesProps{Target: target, Rows: rows})
	scope := constructs.NewConstruct(oneByOne, jsii.String("Schedules"))
	for _, s := range scheduleBatch(target, rows) {
		awsscheduler.NewCfnSchedule(scope, jsii.String(s.ID), s.Props)
	}

	got := resourcesOf(t, batched)
	want := resourcesOf(t, oneByOne)
	if len(got) != len(rows) {
		t.Fatalf("the batch made %d resources for %d rows:\n%s", len(got), len(rows), got)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batched schedules differ from one call per schedule (-one by one +batched):\n%s", diff)
	}
}

// TestBatchRefusesBadProps: props the kernel's CfnSchedule refuses fail the
// synth, as they would with one call per schedule.
func TestBatchRefusesBadProps(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{"aws:cdk:bundling-stacks": []string{}}})
	stack := awscdk.NewStack(app, jsii.String("Batched"), nil)
	// No target and no time window: both are required.
	bad := []batchSchedule{{ID: "bad", Props: &awsscheduler.CfnScheduleProps{ScheduleExpression: jsii.String("rate(1 hour)")}}}
	defer func() {
		r := recover()
		if r == nil {
			t.Error("a schedule without its required target and window was accepted")
			return
		}
		// Any panic would count; only the kernel's refusal of the bad
		// schedule, for a property it lacks, is the failure wanted.
		msg := fmt.Sprint(r)
		if !strings.Contains(msg, "Schedules/bad") || !strings.Contains(msg, "missing required property") ||
			(!strings.Contains(msg, "flexibleTimeWindow") && !strings.Contains(msg, "target")) {
			t.Errorf("the synth failed, but not over the bad schedule's missing target or window: %s", msg)
		}
	}()
	addSchedules(constructs.NewConstruct(stack, jsii.String("Schedules")), bad)
	app.Synth(nil)
}

// resourcesOf returns the Resources of stack's template, as JSON.
func resourcesOf(t *testing.T, stack awscdk.Stack) map[string]interface{} {
	t.Helper()
	tmpl := *assertions.Template_FromStack(stack, nil).ToJSON()
	raw, err := json.Marshal(tmpl["Resources"])
	if err != nil {
		t.Fatal(err)
	}
	var resources map[string]interface{}
	if err := json.Unmarshal(raw, &resources); err != nil {
		t.Fatal(err)
	}
	for id, r := range resources {
		if fmt.Sprint(r.(map[string]interface{})["Type"]) != "AWS::Scheduler::Schedule" {
			delete(resources, id)
		}
	}
	return resources
}
