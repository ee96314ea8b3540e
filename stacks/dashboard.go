package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/metrics"
)

// projectMetric is a metric the functions write, under their namespace,
// with an optional label for the dashboard's legend.
func projectMetric(name, label, statistic string, dims map[string]*string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(metrics.Namespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &dims,
		Statistic:     jsii.String(statistic),
		Period:        period,
		Label:         optional(label),
	})
}

// DashboardProps configures a Dashboard.
type DashboardProps struct {
	// Environment names the dashboard: QlikReloads-<environment>.
	Environment string
	// Function is the reload function, Watcher the watcher.
	Function awslambda.IFunction
	Watcher  awslambda.IFunction
	// StartQueue and DeadLetterQueue are the environment's queues.
	StartQueue      awssqs.IQueue
	DeadLetterQueue awssqs.IQueue
	// Alarms are shown with their states.
	Alarms []awscloudwatch.Alarm
}

// NewDashboard builds the environment's CloudWatch dashboard: starts,
// successes and failures per hour; lateness and the start queue's backlog;
// reload durations; Qlik's rate-limit answers; the dead-letter queue; and
// the alarms. It returns the dashboard's console address.
func NewDashboard(scope constructs.Construct, id string, props *DashboardProps) *string {
	name := StackName(props.Environment, 0)
	hour := awscdk.Duration_Hours(jsii.Number(1))
	minutes5 := awscdk.Duration_Minutes(jsii.Number(5))
	byFunction := map[string]*string{"FunctionName": props.Function.FunctionName()}
	byEnvironment := map[string]*string{"Environment": jsii.String(props.Environment)}
	metric := projectMetric
	graph := func(title string, left []awscloudwatch.IMetric, width float64) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(width), Height: jsii.Number(6),
		})
	}
	alarms := make([]interfacesawscloudwatch.IAlarmRef, 0, len(props.Alarms))
	for _, a := range props.Alarms {
		alarms = append(alarms, a)
	}
	maximum := &awscloudwatch.MetricOptions{Period: minutes5, Statistic: jsii.String("Maximum")}

	dashboard := awscloudwatch.NewDashboard(scope, jsii.String(id), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(name),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(1)),
	})
	dashboard.AddWidgets(
		graph("Runs per hour: started, succeeded, failed, canceled", []awscloudwatch.IMetric{
			metric(metrics.ReloadsStarted, "started", "Sum", byFunction, hour),
			metric(metrics.RunsSucceeded, "succeeded", "Sum", byEnvironment, hour),
			metric(metrics.RunsFailed, "failed (FAILED, EXCEEDED_LIMIT)", "Sum", byEnvironment, hour),
			metric(metrics.RunsCanceled, "canceled", "Sum", byEnvironment, hour),
		}, 12),
		graph("Reload duration (ms)", []awscloudwatch.IMetric{
			metric(metrics.RunDuration, "p50", "p50", byEnvironment, hour),
			metric(metrics.RunDuration, "p95", "p95", byEnvironment, hour),
		}, 12),
	)
	dashboard.AddWidgets(
		graph("Start lateness (ms, scheduled time to Qlik's start)", []awscloudwatch.IMetric{
			metric(metrics.StartLateness, "p50", "p50", byFunction, minutes5),
			metric(metrics.StartLateness, "p95", "p95", byFunction, minutes5),
			metric(metrics.StartLateness, "max", "Maximum", byFunction, minutes5),
		}, 8),
		graph("Start queue backlog", []awscloudwatch.IMetric{
			props.StartQueue.MetricApproximateNumberOfMessagesVisible(maximum),
			props.StartQueue.MetricApproximateAgeOfOldestMessage(maximum),
		}, 8),
		graph("Qlik rate-limit answers", []awscloudwatch.IMetric{
			metric(metrics.RunsRateLimited, "runs put back (starts, reads, tokens)", "Sum", byFunction, minutes5),
			metric(metrics.WatchRateLimited, "watcher rounds stopped", "Sum", byEnvironment, minutes5),
		}, 8),
	)
	dashboard.AddWidgets(
		graph("Dead-letter queue depth", []awscloudwatch.IMetric{
			props.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(maximum),
		}, 8),
		graph("Function errors", []awscloudwatch.IMetric{
			props.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: minutes5, Statistic: jsii.String("Sum"), Label: jsii.String("reload function")}),
			props.Watcher.MetricErrors(&awscloudwatch.MetricOptions{Period: minutes5, Statistic: jsii.String("Sum"), Label: jsii.String("watcher")}),
		}, 8),
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(8), Height: jsii.Number(6),
		}),
	)
	return awscdk.Fn_Join(jsii.String(""), jsii.Strings(
		"https://", *awscdk.Aws_REGION(), ".console.aws.amazon.com/cloudwatch/home?region=", *awscdk.Aws_REGION(),
		"#dashboards/dashboard/", name))
}
