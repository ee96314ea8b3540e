package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// Scheduler's own retry policy covers failures to invoke the function (a
// throttled Invoke API, a missing permission), not failures of the reload:
// those are the function's asynchronous retries. An hour matches the
// function's maximum event age, so a reload is never more than an hour late
// without landing in the dead-letter queue.
const (
	scheduleRetryAttempts     = 10
	scheduleMaxEventAgeSecond = 3600
)

// ScheduleTarget is what every schedule of an environment invokes: tokens
// of the core stack's resources there, and reads of its outputs elsewhere.
type ScheduleTarget struct {
	// FunctionArn is the reload function's ARN.
	FunctionArn *string
	// RoleArn is the role Scheduler assumes to invoke the function.
	RoleArn *string
	// DeadLetterQueueArn receives events Scheduler could not deliver.
	DeadLetterQueueArn *string
	// GroupName is the environment's schedule group.
	GroupName *string
}

// The core stack's outputs that importedTarget reads.
const (
	outputFunctionArn        = "FunctionArn"
	outputSchedulerRoleArn   = "SchedulerRoleArn"
	outputDeadLetterQueueArn = "DeadLetterQueueArn"
	outputScheduleGroupName  = "ScheduleGroupName"
)

// importedTarget is the target as another stack of the same account and
// region sees it: Fn::GetStackOutput reads of the core stack's outputs.
//
// Reading named outputs, rather than letting the CDK turn the core stack's
// tokens into cross-stack references, has two reasons. Exports are avoided:
// CloudFormation refuses to remove an export that a deployed stack still
// imports, which would block deployments once a schedule stack is emptied.
// And the CDK resolves a plain intrinsic much faster than a reference, which
// matters with thousands of schedules. The dependency on the core stack,
// which a reference would have added, is declared by the caller.
func importedTarget(coreStackName string) ScheduleTarget {
	get := func(output string) *string {
		return awscdk.Fn_GetStackOutput(jsii.String(coreStackName), jsii.String(output), nil, nil)
	}
	return ScheduleTarget{
		FunctionArn:        get(outputFunctionArn),
		RoleArn:            get(outputSchedulerRoleArn),
		DeadLetterQueueArn: get(outputDeadLetterQueueArn),
		GroupName:          get(outputScheduleGroupName),
	}
}

// SchedulesProps configures a Schedules construct.
type SchedulesProps struct {
	// Target is shared by every schedule.
	Target ScheduleTarget
	// Rows are the table rows this construct holds, in any order.
	Rows []config.Reload
}

// NewSchedules adds one AWS::Scheduler::Schedule per row, with the row's
// name as its construct ID.
//
// It uses the L1 resource: the L2 Schedule with a LambdaInvoke target costs
// about twice the synth time per schedule and adds its own role per stack
// with an invoke grant on "<function>:*", where one shared role scoped to the
// function fits.
func NewSchedules(scope constructs.Construct, id string, props *SchedulesProps) constructs.Construct {
	c := constructs.NewConstruct(scope, jsii.String(id))

	// The template lists resources in the order they were added; sorting by
	// name makes the order of the rows in the file irrelevant.
	rows := append([]config.Reload(nil), props.Rows...)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })

	retry := &awsscheduler.CfnSchedule_RetryPolicyProperty{
		MaximumRetryAttempts:     jsii.Number(scheduleRetryAttempts),
		MaximumEventAgeInSeconds: jsii.Number(scheduleMaxEventAgeSecond),
	}
	dlq := &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: props.Target.DeadLetterQueueArn}
	for _, row := range rows {
		awsscheduler.NewCfnSchedule(c, jsii.String(row.Name), &awsscheduler.CfnScheduleProps{
			GroupName:                  props.Target.GroupName,
			ScheduleExpression:         jsii.String(row.Schedule),
			ScheduleExpressionTimezone: jsii.String(row.Timezone),
			State:                      jsii.String(scheduleState(row.Enabled)),
			Description:                optional(row.Description),
			FlexibleTimeWindow:         flexibleWindow(row.FlexibleWindowMinutes),
			Target: &awsscheduler.CfnSchedule_TargetProperty{
				Arn:              props.Target.FunctionArn,
				RoleArn:          props.Target.RoleArn,
				Input:            jsii.String(row.Input()),
				RetryPolicy:      retry,
				DeadLetterConfig: dlq,
			},
		})
	}
	return c
}

func scheduleState(enabled bool) string {
	if enabled {
		return "ENABLED"
	}
	return "DISABLED"
}

// flexibleWindow turns the row's window into Scheduler's property: 0 is
// OFF (on the minute), anything else lets Scheduler spread the invocation
// over that many minutes.
func flexibleWindow(minutes int) *awsscheduler.CfnSchedule_FlexibleTimeWindowProperty {
	if minutes == 0 {
		return &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")}
	}
	return &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{
		Mode:                   jsii.String("FLEXIBLE"),
		MaximumWindowInMinutes: jsii.Number(minutes),
	}
}

// optional leaves a property out of the template when it is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}
