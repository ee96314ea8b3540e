package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// Scheduler's own retry policy covers failures to deliver a run to the
// start queue (a throttled SendMessage, a missing permission), not failures
// of the reload: those are the queue's redeliveries. An hour matches the
// default lateness bound: a run Scheduler could not deliver within it lands
// in the dead-letter queue.
const (
	scheduleRetryAttempts     = 10
	scheduleMaxEventAgeSecond = 3600
)

// ScheduleTarget is where every schedule of an environment sends its runs:
// tokens of the core stack's resources there, and ARNs built from their
// names elsewhere (see namedTarget).
type ScheduleTarget struct {
	// QueueArn is the start queue's ARN.
	QueueArn *string
	// RoleArn is the role Scheduler assumes to send to the queue.
	RoleArn *string
	// DeadLetterQueueArn receives runs Scheduler could not deliver.
	DeadLetterQueueArn *string
	// GroupName is the environment's schedule group.
	GroupName *string
}

// SchedulesProps configures a Schedules construct.
type SchedulesProps struct {
	// Target is shared by every schedule.
	Target ScheduleTarget
	// Rows are the table rows this construct holds, in any order.
	Rows []config.Reload
}

// NewSchedules adds one AWS::Scheduler::Schedule per row, with the row's
// name as its construct ID, in one call into the jsii kernel (see
// addSchedules).
//
// It uses the L1 resource: the L2 Schedule costs about twice the synth time
// per schedule, and its targets add a role and grants per stack, where one
// shared role scoped to the start queue fits.
func NewSchedules(scope constructs.Construct, id string, props *SchedulesProps) constructs.Construct {
	c := constructs.NewConstruct(scope, jsii.String(id))
	addSchedules(c, scheduleBatch(props.Target, props.Rows))
	return c
}

// scheduleBatch returns the construct ID and props of each row's schedule,
// sorted by name: the template lists resources in the order they were
// added, so sorting makes the order of the rows in the file irrelevant.
func scheduleBatch(target ScheduleTarget, rows []config.Reload) []batchSchedule {
	rows = append([]config.Reload(nil), rows...)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })

	retry := &awsscheduler.CfnSchedule_RetryPolicyProperty{
		MaximumRetryAttempts:     jsii.Number(scheduleRetryAttempts),
		MaximumEventAgeInSeconds: jsii.Number(scheduleMaxEventAgeSecond),
	}
	dlq := &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: target.DeadLetterQueueArn}
	schedules := make([]batchSchedule, len(rows))
	for i, row := range rows {
		schedules[i] = batchSchedule{ID: row.Name, Props: &awsscheduler.CfnScheduleProps{
			GroupName:                  target.GroupName,
			ScheduleExpression:         jsii.String(row.Schedule),
			ScheduleExpressionTimezone: jsii.String(row.Timezone),
			State:                      jsii.String(scheduleState(row.Enabled)),
			Description:                optional(row.Description),
			FlexibleTimeWindow:         flexibleWindow(row.FlexibleWindowMinutes),
			Target: &awsscheduler.CfnSchedule_TargetProperty{
				Arn:              target.QueueArn,
				RoleArn:          target.RoleArn,
				Input:            jsii.String(row.Input()),
				RetryPolicy:      retry,
				DeadLetterConfig: dlq,
			},
		}}
	}
	return schedules
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
