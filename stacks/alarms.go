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
	// DeadLetterQueue is the queue whose messages mean lost reloads.
	DeadLetterQueue awssqs.IQueue
	// Email, when set, is subscribed to the alarm topic.
	Email string
	// Key, when not nil, is the customer-managed key that encrypts the
	// topic; its key policy must let CloudWatch use it.
	Key awskms.IKey
}

// Alarms notifies an SNS topic when reloads fail to start: the function
// fails, events land in the dead-letter queue, or the function is throttled
// for a quarter of an hour.
type Alarms struct {
	constructs.Construct
	// Topic receives every alarm and OK notification.
	Topic awssns.Topic
}

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

	action := awscloudwatchactions.NewSnsAction(topic)
	period := awscdk.Duration_Minutes(jsii.Number(5))
	add := func(id, description string, metric awscloudwatch.IMetric, periods int) {
		alarm := awscloudwatch.NewAlarm(c, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(fmt.Sprintf("[%s] %s", props.Environment, description)),
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(periods),
			DatapointsToAlarm:  jsii.Number(periods),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
	}
	sum := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}
	add("FunctionErrors",
		"A scheduled Qlik reload could not be started; Lambda retries it twice. Read the function's log for the cause and fix.",
		props.Function.MetricErrors(sum), 1)
	add("DeadLetterMessages",
		"Scheduled Qlik reloads were given up and are in the dead-letter queue. Fix the cause, then redrive them (see the README).",
		props.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}), 1)
	// Throttled asynchronous events wait in Lambda's queue and are retried,
	// so a short burst (expected with reservedConcurrency) is no alarm;
	// throttling for three periods in a row is.
	add("FunctionThrottled",
		"The reload function has been throttled for 15 minutes; scheduled reloads are waiting and may expire into the dead-letter queue. Raise reservedConcurrency or spread the schedules.",
		props.Function.MetricThrottles(sum), 3)

	return &Alarms{Construct: c, Topic: topic}
}
