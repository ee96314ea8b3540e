package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlarmsProps configures Alarms.
type AlarmsProps struct {
	// Environment names the environment in alarm descriptions.
	Environment string
	// Function is the reload function to watch.
	Function awslambda.IFunction
	// DeadLetterQueue is the queue whose messages mean runs not started.
	DeadLetterQueue awssqs.IQueue
	// StartQueue is the queue whose oldest message says how late the
	// runs are.
	StartQueue awssqs.IQueue
	// Email, when set, is subscribed to the alarm topic.
	Email string
	// Key, when not nil, is the customer-managed key that encrypts the
	// topic; its key policy must let CloudWatch use it.
	Key awskms.IKey
}

// Alarms notifies an SNS topic when reloads fail to start: the function
// fails, runs land in the dead-letter queue, the start queue's backlog
// makes runs late, or the function is throttled for a quarter of an hour.
type Alarms struct {
	constructs.Construct
	// Topic receives every alarm and OK notification.
	Topic awssns.Topic
	// List holds the alarms, in the order they were added.
	List []awscloudwatch.Alarm

	environment string
	action      awscloudwatch.IAlarmAction
}

// startQueueBacklogMinutes is the age of the start queue's oldest message
// that raises the backlog alarm. A burst of 500 runs due in one minute
// drains in about ten minutes at Qlik's 50 starts a minute (the first 250
// pass at once); a run still waiting after a quarter of an hour means more
// than a burst that the limit explains, while the default lateness bound of
// an hour leaves time to act before runs are dead-lettered as TooLate.
const startQueueBacklogMinutes = 15

// NewAlarms builds the topic, its optional email subscription and the
// alarms.
func NewAlarms(scope constructs.Construct, id string, props *AlarmsProps) *Alarms {
	c := constructs.NewConstruct(scope, jsii.String(id))

	// Without a customer-managed key the topic is not encrypted with KMS:
	// alarm notifications carry alarm names and states, no data, and
	// CloudWatch cannot publish to a topic encrypted with the AWS managed
	// SNS key. With one, CloudWatch may use it under the key policy the
	// README gives.
	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String(fmt.Sprintf("Qlik reload alarms (%s)", props.Environment)),
		EnforceSSL:  jsii.Bool(true),
		MasterKey:   props.Key,
	})
	// The topic policy that enforces TLS replaces SNS's default policy, so
	// CloudWatch's right to publish is stated, for this account's alarms
	// only.
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
		},
	}))
	if props.Email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.Email), nil))
	}

	a := &Alarms{Construct: c, Topic: topic, environment: props.Environment, action: awscloudwatchactions.NewSnsAction(topic)}
	add := a.Add
	period := awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))
	sum := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}
	maximum := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}
	add("FunctionErrors",
		"The reload function failed a whole batch of the start queue or a direct invocation; the queue redelivers the runs. Read the function's log for the cause and fix.",
		props.Function.MetricErrors(sum), 1, 1)
	add("DeadLetterMessages",
		"Scheduled Qlik reloads were not started and are in the dead-letter queue (too late, undeliverable, or a cause a person must fix). Fix the cause, then redrive them with the RedriveCommand output.",
		props.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(maximum), 1, 1)
	add("StartQueueBacklog",
		fmt.Sprintf("A scheduled run has waited in the start queue for %d minutes or more: reloads are starting late. Qlik's rate limit, too low a concurrency or a failing function can cause it; read the function's log.", startQueueBacklogMinutes),
		props.StartQueue.MetricApproximateAgeOfOldestMessage(maximum), startQueueBacklogMinutes*60, 1)
	// Throttled runs wait in the start queue and are retried, so a short
	// burst is no alarm; throttling for three periods in a row is.
	add("FunctionThrottled",
		"The reload function has been throttled for 15 minutes; scheduled runs are waiting in the start queue and may become too late. Raise reservedConcurrency or the account's concurrency, or lower concurrency.",
		props.Function.MetricThrottles(sum), 1, 3)

	return a
}

// alarmPeriodMinutes is the period of every alarm's metric.
const alarmPeriodMinutes = 5

// Add adds an alarm that notifies the topic, with OK notifications, when
// metric reaches threshold in periods periods of five minutes in a row.
func (a *Alarms) Add(id, description string, metric awscloudwatch.IMetric, threshold float64, periods int) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(a.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(fmt.Sprintf("[%s] %s", a.environment, description)),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(periods),
		DatapointsToAlarm:  jsii.Number(periods),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(a.action)
	alarm.AddOkAction(a.action)
	a.List = append(a.List, alarm)
	return alarm
}
