package stacks

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// Function sizing. The handler works through a batch of start-queue runs,
// watching each new reload a few seconds at most; a rate-limited start is
// put back on the queue rather than waited for, and runs not reached
// before the deadline come back at once. Two minutes leave room for a
// batch at the default wait, and for a direct invocation that honours
// Qlik's Retry-After. 256 MB buys the CPU share that keeps TLS handshakes
// short; the function itself needs far less memory.
const (
	functionTimeoutSeconds = 120
	functionMemoryMB       = 256

	// Lambda retries a failed asynchronous invocation twice (one, then two
	// minutes later) and keeps an event for at most an hour, throttled
	// waits included. Past that, the event goes to the dead-letter queue
	// and an alarm fires: a reload that is hours late should be a person's
	// decision, not a silent one.
	asyncRetryAttempts     = 2
	asyncMaxEventAgeSecond = 3600
)

// ReloadFunctionProps configures a ReloadFunction.
type ReloadFunctionProps struct {
	// ModuleDir is the Go module root the function is built from.
	ModuleDir string
	// Build, when not nil, is the function's build already under way.
	Build *FunctionBuild
	// TenantURL is the Qlik tenant's base URL.
	TenantURL string
	// Secret holds the Qlik credential; the function may read it and
	// nothing else in Secrets Manager.
	Secret awssecretsmanager.ISecret
	// Key, when not nil, is the customer-managed key that encrypts the
	// secret, the log group, the queues and the ledger; the function may use
	// it only through Secrets Manager, SQS and DynamoDB, and CloudWatch Logs
	// uses it under its own key policy grant.
	Key awskms.IKey
	// VPC, when not nil, places the function in these subnets.
	VPC *config.VPC
	// DeadLetterQueue receives events the function failed on after its
	// retries.
	DeadLetterQueue awssqs.IQueue
	// LogRetentionDays is the log group's retention, or
	// config.LogRetentionNever.
	LogRetentionDays int
	// ReservedConcurrency caps concurrent runs when not 0.
	ReservedConcurrency int
	// WaitSeconds is how long the function watches a new reload leave
	// Qlik's queue.
	WaitSeconds int

	// StartQueue holds the scheduled runs the function starts, read
	// through an event source mapping.
	StartQueue awssqs.IQueue
	// Ledger is the run ledger table.
	Ledger awsdynamodb.ITable
	// Concurrency is how many functions read the start queue at once.
	Concurrency int
	// MaxDelayMinutes is the file's lateness bound, for rows that set none.
	MaxDelayMinutes int
	// HistoryDays is how long the ledger keeps a run.
	HistoryDays int
	// CodeFiles are bundled beside the binary (the chain graph), so that
	// every function of the build shares one code asset.
	CodeFiles map[string][]byte
}

// ReloadFunction is the reload Lambda with its own role, log group,
// asynchronous invocation settings and the event source mapping that feeds
// it the start queue.
type ReloadFunction struct {
	constructs.Construct
	// Function is the reload function.
	Function awslambda.Function
	// Role is the function's execution role.
	Role awsiam.Role
	// LogGroup is where the function writes its JSON logs.
	LogGroup awslogs.LogGroup
}

// NewReloadFunction builds the function with a role that may read its one
// secret, write to its own log group, consume the start queue, send failed
// runs to the dead-letter queue and record runs in the ledger, and nothing
// else.
func NewReloadFunction(scope constructs.Construct, id string, props *ReloadFunctionProps) *ReloadFunction {
	c := constructs.NewConstruct(scope, jsii.String(id))

	logGroup := functionLogGroup(c, props.LogRetentionDays, props.Key)

	statements := append(credentialAndLogs(props.Secret, logGroup),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// The function sends runs that are too late or cannot succeed
			// to the dead-letter queue itself, and Lambda sends a failed
			// direct asynchronous invocation there with the function's role.
			Sid:       jsii.String("SendFailedEvents"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: jsii.Strings(*props.DeadLetterQueue.QueueArn()),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// The event source mapping receives, deletes and reads the
			// queue's attributes with the function's role; the function puts
			// rate-limited runs back with ChangeMessageVisibility.
			Sid: jsii.String("ConsumeStartQueue"),
			Actions: jsii.Strings("sqs:ReceiveMessage", "sqs:DeleteMessage",
				"sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"),
			Resources: jsii.Strings(*props.StartQueue.QueueArn()),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// The item-level actions the ledger uses, on the table only:
			// no index, no Query, no Scan.
			Sid:       jsii.String("RecordRuns"),
			Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
			Resources: jsii.Strings(*props.Ledger.TableArn()),
		}),
	)
	if props.Key != nil {
		statements = append(statements,
			viaService("DecryptQlikCredential", props.Key, "secretsmanager", "kms:Decrypt"),
			// Decrypt to receive from the start queue; GenerateDataKey to
			// send to the dead-letter queue under the key.
			viaService("UseQueueKey", props.Key, "sqs", "kms:Decrypt", "kms:GenerateDataKey"),
			viaService("UseLedgerKey", props.Key, "dynamodb",
				"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
		)
	}
	if props.VPC != nil {
		statements = append(statements, networkInterfaceStatements(awscdk.Stack_Of(scope), props.VPC)...)
	}

	// The role is written out rather than left to the function so that no
	// AWS managed policy is attached: AWSLambdaBasicExecutionRole grants
	// logs on every log group in the account.
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		Description: jsii.String("Reload function: reads the Qlik credential, writes its own logs, consumes the start queue, records runs, sends failed runs to the dead-letter queue"),
		AssumedBy:   sameAccountService("lambda.amazonaws.com", nil),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"ReloadFunction": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
		},
	})

	var reserved *float64
	if props.ReservedConcurrency > 0 {
		reserved = jsii.Number(props.ReservedConcurrency)
	}
	fnProps := goFunctionProps("Starts one Qlik Cloud reload per scheduled event",
		functionCode(props.ModuleDir, props.Build, props.CodeFiles), role, logGroup, functionTimeoutSeconds,
		map[string]*string{
			"QLIK_TENANT_URL":            jsii.String(props.TenantURL),
			"QLIK_API_KEY_SECRET_ID":     props.Secret.SecretArn(),
			"QLIK_WAIT_TIMEOUT":          jsii.String(fmt.Sprintf("%ds", props.WaitSeconds)),
			"QLIK_LEDGER_TABLE":          props.Ledger.TableName(),
			"QLIK_START_QUEUE_URL":       props.StartQueue.QueueUrl(),
			"QLIK_DEAD_LETTER_QUEUE_URL": props.DeadLetterQueue.QueueUrl(),
			"QLIK_MAX_DELAY_MINUTES":     jsii.String(strconv.Itoa(props.MaxDelayMinutes)),
			"QLIK_HISTORY_DAYS":          jsii.String(strconv.Itoa(props.HistoryDays)),
		})
	fnProps.ReservedConcurrentExecutions = reserved
	fn := awslambda.NewFunction(c, jsii.String("Function"), fnProps)
	attachToVPC(fn, role, props.VPC)

	// The L1 resource keeps the destination grant in the inline policy
	// above: the L2 destination would add sqs:GetQueueAttributes and
	// sqs:GetQueueUrl, which Lambda does not need.
	awslambda.NewCfnEventInvokeConfig(c, jsii.String("AsyncInvoke"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             fn.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(asyncRetryAttempts),
		MaximumEventAgeInSeconds: jsii.Number(asyncMaxEventAgeSecond),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{
				Destination: props.DeadLetterQueue.QueueArn(),
			},
		},
	})

	// The L1 mapping keeps the queue grant in the inline policy above: the
	// L2 event source would add it as a separate policy, with
	// sqs:GetQueueUrl, which Lambda does not need. One record's failure
	// comes back alone (ReportBatchItemFailures), and MaximumConcurrency
	// caps how many functions the queue runs, so a burst waits in the queue
	// rather than in throttled invocations.
	awslambda.NewCfnEventSourceMapping(c, jsii.String("StartQueueMapping"), &awslambda.CfnEventSourceMappingProps{
		FunctionName:          fn.FunctionName(),
		EventSourceArn:        props.StartQueue.QueueArn(),
		BatchSize:             jsii.Number(startQueueBatchSize),
		FunctionResponseTypes: jsii.Strings("ReportBatchItemFailures"),
		ScalingConfig: &awslambda.CfnEventSourceMapping_ScalingConfigProperty{
			MaximumConcurrency: jsii.Number(props.Concurrency),
		},
	})

	return &ReloadFunction{Construct: c, Function: fn, Role: role, LogGroup: logGroup}
}

// credentialAndLogs are the statements both functions start with: read
// the one secret, and write to the function's own log group.
func credentialAndLogs(secret awssecretsmanager.ISecret, logGroup awslogs.LogGroup) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadQlikCredential"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(*secret.SecretArn()),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// The log group's Arn attribute ends in ":*", which covers the
			// streams Lambda creates in that one group.
			Sid:       jsii.String("WriteOwnLogs"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: jsii.Strings(*logGroup.LogGroupArn()),
		}),
	}
}

// functionLogGroup is a function's own log group, kept when the stack is
// deleted so that the history survives, and encrypted with key when it is
// not nil.
// goFunctionProps are the props both functions share: the one Go binary,
// which bundle.go builds for arm64 and provided.al2023, so the runtime, the
// architecture and the handler are set here only, with JSON logs into the
// function's own group.
func goFunctionProps(description string, code awslambda.Code, role awsiam.IRole, logGroup awslogs.ILogGroup, timeoutSeconds float64, env map[string]*string) *awslambda.FunctionProps {
	return &awslambda.FunctionProps{
		Description:   jsii.String(description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          code,
		Role:          role,
		MemorySize:    jsii.Number(functionMemoryMB),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(timeoutSeconds)),
		Environment:   &env,
		LogGroup:      logGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
	}
}

func functionLogGroup(scope constructs.Construct, retention int, key awskms.IKey) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[retention],
		EncryptionKey: key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

// startQueueBatchSize is how many runs one invocation receives: enough to
// share a warm function's token and connections, few enough that a batch
// ends well inside the function's timeout.
const startQueueBatchSize = 10

// viaService allows actions on key only when the named service of this
// region uses it on the role's behalf.
func viaService(sid string, key awskms.IKey, service string, actions ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(*key.KeyArn()),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{
				"kms:ViaService": service + "." + *awscdk.Aws_REGION() + ".amazonaws.com",
			},
		},
	})
}

// sameAccountService is a service principal that may assume a role only on
// behalf of resources in this stack's account (the confused-deputy guard),
// and, when sourceArn is set, only for that resource.
func sameAccountService(service string, sourceArn *string) awsiam.IPrincipal {
	equals := map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}
	if sourceArn != nil {
		equals["aws:SourceArn"] = sourceArn
	}
	return awsiam.NewPrincipalWithConditions(
		awsiam.NewServicePrincipal(jsii.String(service), nil),
		&map[string]interface{}{"StringEquals": equals},
	)
}

// retentionDays maps the day counts CloudWatch Logs accepts (the config
// loader allows no others) to the CDK's names for them; never is
// config.LogRetentionNever.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,

	config.LogRetentionNever: awslogs.RetentionDays_INFINITE,
}
