package stacks

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/metrics"
)

// The watcher runs one round a minute; a round that is not done within
// the minute stops checking before its deadline, and the next round picks
// up where it left off.
const (
	watcherTimeoutSeconds = 60
	// WatcherEvent is the event the watcher's schedule sends.
	WatcherEvent = `{"watch":"runs"}`
)

// WatcherProps configures a Watcher.
type WatcherProps struct {
	// Environment is the environment's name, shown in alerts and used as
	// the metrics' dimension.
	Environment string
	// ModuleDir and Build are the reload function's: the watcher is the
	// same build, run with QLIK_MODE=watcher.
	ModuleDir string
	Build     *FunctionBuild
	// TenantURL is the Qlik tenant's base URL.
	TenantURL string
	// Secret holds the Qlik credential.
	Secret awssecretsmanager.ISecret
	// Ledger is the run ledger.
	Ledger awsdynamodb.ITable
	// Key, when not nil, is the customer-managed key that encrypts the
	// secret, the ledger, the log group and the alarm topic.
	Key awskms.IKey
	// VPC, when not nil, places the watcher in these subnets, as the
	// reload function.
	VPC *config.VPC
	// Topic is the alarm topic the watcher sends failure alerts to.
	Topic awssns.ITopic
	// LogRetentionDays is the log group's retention.
	LogRetentionDays int
	// ReadsPerMinute, MaxRunHours and HistoryDays are the config's
	// watchReadsPerMinute, maxRunHours and historyDays.
	ReadsPerMinute int
	MaxRunHours    int
	HistoryDays    int
	// CodeFiles are bundled beside the binary, as for the reload function
	// (one code asset): the chain graph when the table has chains.
	CodeFiles map[string][]byte
	// StartQueue is where the watcher sends the rows a chain starts; used
	// only when CodeFiles holds the chain graph.
	StartQueue awssqs.IQueue
}

// Watcher is the function that follows every started reload to its end,
// its own role and log group, and the schedule that runs it every minute.
type Watcher struct {
	constructs.Construct
	// Function is the watcher function.
	Function awslambda.Function
}

// NewWatcher builds the watcher with a role that may read the secret,
// write its own logs, query the ledger's open index, update runs, and
// publish to the alarm topic, and nothing else.
func NewWatcher(scope constructs.Construct, id string, props *WatcherProps) *Watcher {
	c := constructs.NewConstruct(scope, jsii.String(id))

	logGroup := functionLogGroup(c, props.LogRetentionDays, props.Key)
	statements := append(credentialAndLogs(props.Secret, logGroup),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// The unfinished runs, through the sparse index only: never
			// the table, never a Scan.
			Sid:       jsii.String("ReadOpenRuns"),
			Actions:   jsii.Strings("dynamodb:Query"),
			Resources: jsii.Strings(*props.Ledger.TableArn() + "/index/" + ledgerOpenIndex),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// Each write is conditional: a run's end is recorded once.
			Sid:       jsii.String("RecordOutcomes"),
			Actions:   jsii.Strings("dynamodb:UpdateItem"),
			Resources: jsii.Strings(*props.Ledger.TableArn()),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AlertFailures"),
			Actions:   jsii.Strings("sns:Publish"),
			Resources: jsii.Strings(*props.Topic.TopicArn()),
		}),
	)
	if props.Key != nil {
		statements = append(statements,
			viaService("DecryptQlikCredential", props.Key, "secretsmanager", "kms:Decrypt"),
			viaService("UseLedgerKey", props.Key, "dynamodb",
				"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
			// Publishing to a topic under the key needs a data key.
			viaService("PublishToEncryptedTopic", props.Key, "sns", "kms:GenerateDataKey", "kms:Decrypt"),
		)
	}
	if props.VPC != nil {
		statements = append(statements, networkInterfaceStatements(awscdk.Stack_Of(scope), props.VPC)...)
	}
	env := map[string]*string{
		"QLIK_MODE":                   jsii.String("watcher"),
		"QLIK_TENANT_URL":             jsii.String(props.TenantURL),
		"QLIK_API_KEY_SECRET_ID":      props.Secret.SecretArn(),
		"QLIK_LEDGER_TABLE":           props.Ledger.TableName(),
		"QLIK_ALARM_TOPIC_ARN":        props.Topic.TopicArn(),
		"QLIK_ENVIRONMENT":            jsii.String(props.Environment),
		"QLIK_WATCH_READS_PER_MINUTE": jsii.String(strconv.Itoa(props.ReadsPerMinute)),
		"QLIK_MAX_RUN_HOURS":          jsii.String(strconv.Itoa(props.MaxRunHours)),
		"QLIK_HISTORY_DAYS":           jsii.String(strconv.Itoa(props.HistoryDays)),
	}
	if _, chains := props.CodeFiles[chain.FileName]; chains {
		statements = append(statements,
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				// A chain's state is one item per downstream row, read
				// back when a conditional update finds nothing to change.
				Sid:       jsii.String("ReadChainState"),
				Actions:   jsii.Strings("dynamodb:GetItem"),
				Resources: jsii.Strings(*props.Ledger.TableArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("StartChainedRows"),
				Actions:   jsii.Strings("sqs:SendMessage"),
				Resources: jsii.Strings(*props.StartQueue.QueueArn()),
			}))
		if props.Key != nil {
			statements = append(statements, viaService("SendToEncryptedStartQueue", props.Key, "sqs", "kms:GenerateDataKey", "kms:Decrypt"))
		}
		env["QLIK_CHAINS_FILE"] = jsii.String(chain.FileName)
		env["QLIK_START_QUEUE_URL"] = props.StartQueue.QueueUrl()
	}
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		Description: jsii.String("Reload watcher: reads the Qlik credential, writes its own logs, reads the ledger's open runs and records their outcomes, alerts failures"),
		AssumedBy:   sameAccountService("lambda.amazonaws.com", nil),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"ReloadWatcher": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
		},
	})

	fn := awslambda.NewFunction(c, jsii.String("Function"), goFunctionProps(
		"Follows every started Qlik Cloud reload to its end, once a minute",
		functionCode(props.ModuleDir, props.Build, props.CodeFiles), role, logGroup, watcherTimeoutSeconds, env))
	attachToVPC(fn, role, props.VPC)
	// A missed or failed round is not retried: the next minute's round
	// reads the same runs, which stay in the ledger until they end.
	awslambda.NewCfnEventInvokeConfig(c, jsii.String("AsyncInvoke"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             fn.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(0),
		MaximumEventAgeInSeconds: jsii.Number(60),
	})

	// The suffix tells the watcher's schedule from the rows' in the summary
	// and the scale test. The schedule lives in the account's default
	// group, so that the environment's group holds exactly one schedule per
	// row.
	name := StackName(props.Environment, 0) + assembly.WatcherScheduleSuffix
	scheduleArn := awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/"+name), nil)
	invoke := []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeWatcher"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: jsii.Strings(*fn.FunctionArn()),
	})}
	scheduleRole := awsiam.NewRole(c, jsii.String("ScheduleRole"), &awsiam.RoleProps{
		Description: jsii.String("EventBridge Scheduler: runs the reload watcher every minute"),
		AssumedBy:   sameAccountService("scheduler.amazonaws.com", scheduleArn),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"InvokeWatcher": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &invoke}),
		},
	})
	awsscheduler.NewCfnSchedule(c, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(name),
		Description:        jsii.String("Runs the reload watcher of environment " + props.Environment + " every minute"),
		ScheduleExpression: jsii.String("rate(1 minute)"),
		FlexibleTimeWindow: flexibleWindow(0),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     fn.FunctionArn(),
			RoleArn: scheduleRole.RoleArn(),
			Input:   jsii.String(WatcherEvent),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(0),
				MaximumEventAgeInSeconds: jsii.Number(60),
			},
		},
	})
	return &Watcher{Construct: c, Function: fn}
}

// addOutcomeAlarms adds the alarms of the runs' outcomes: a failed reload
// (for paging tools that read alarms; the watcher also alerts each failure
// with its details), and a watcher that fails, which leaves outcomes
// unrecorded.
func addOutcomeAlarms(alarms *Alarms, environment string, watcher awslambda.IFunction) {
	period := awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))
	failed := projectMetric(metrics.RunsFailed, "", "Sum", map[string]*string{"Environment": jsii.String(environment)}, period)
	alarms.Add("ReloadsFailed",
		"A Qlik reload ended FAILED or EXCEEDED_LIMIT. The alert to this topic names the row, the app and the error; make history FAILED=1 lists the failures.",
		failed, 1, 1)
	alarms.Add("WatcherErrors",
		"The reload watcher failed a round: outcomes of started reloads are not being recorded or alerted. Read the watcher's log (output WatcherFunctionName) for the cause.",
		watcher.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}), 1, 1)
}
