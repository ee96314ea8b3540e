package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// CoreProps configures the core stack.
type CoreProps struct {
	awscdk.StackProps
	// Config is the environment's validated configuration.
	Config *config.Config
	// ModuleDir is the Go module root the function is built from.
	ModuleDir string
	// Build, when not nil, is the function's build already under way.
	Build *FunctionBuild
}

// Core is an environment's core stack: everything but the schedules of the
// other schedule stacks.
type Core struct {
	awscdk.Stack
	// Target is where the core stack's own schedules send their runs.
	Target ScheduleTarget
}

// NewCore builds the credential secret, the start queue, the run ledger,
// the reload function, the dead-letter queue, the alarms, Scheduler's role,
// the schedule group, and the event rules of the rows with on, which live
// beside the start queue whose policy names them.
func NewCore(scope constructs.Construct, id string, props *CoreProps) *Core {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	cfg := props.Config
	names := newSharedNames(cfg.Name)

	// The customer-managed key, when configured, encrypts everything that
	// holds data at rest: the secret, the logs, the queues, the ledger and
	// the topic.
	var key awskms.IKey
	if cfg.KMSKeyArn != "" {
		key = awskms.Key_FromKeyArn(stack, jsii.String("CredentialKey"), jsii.String(cfg.KMSKeyArn))
	}

	dlq := deadLetterQueue(stack, names.DeadLetterQueue, names.StartQueue, key)
	secret := credentialSecret(stack, cfg, key)
	queue := newStartQueue(stack, names.StartQueue, key, dlq)
	ledger := newLedger(stack, key)

	codeFiles, err := chainFiles(cfg)
	if err != nil {
		awscdk.Annotations_Of(stack).AddError(jsii.String(err.Error()))
	}
	fn := NewReloadFunction(stack, "Reload", &ReloadFunctionProps{
		ModuleDir:           props.ModuleDir,
		Build:               props.Build,
		TenantURL:           cfg.TenantURL,
		Secret:              secret,
		Key:                 key,
		VPC:                 cfg.VPC,
		DeadLetterQueue:     dlq,
		LogRetentionDays:    cfg.LogRetentionDays,
		ReservedConcurrency: cfg.ReservedConcurrency,
		WaitSeconds:         cfg.WaitSeconds,
		StartQueue:          queue,
		Ledger:              ledger,
		Concurrency:         cfg.Concurrency,
		MaxDelayMinutes:     cfg.MaxDelayMinutes,
		HistoryDays:         cfg.HistoryDays,
		CodeFiles:           codeFiles,
	})

	NewEventRules(stack, "Events", &EventRulesProps{
		Environment:     cfg.Name,
		Rows:            cfg.Reloads,
		MaxDelayMinutes: cfg.MaxDelayMinutes,
		StartQueue:      queue,
		DeadLetterQueue: dlq,
	})

	alarms := NewAlarms(stack, "Alarms", &AlarmsProps{
		Environment:     cfg.Name,
		Function:        fn.Function,
		DeadLetterQueue: dlq,
		StartQueue:      queue,
		Email:           cfg.AlarmEmail,
		Key:             key,
	})

	watcher := NewWatcher(stack, "Watcher", &WatcherProps{
		Environment:      cfg.Name,
		ModuleDir:        props.ModuleDir,
		Build:            props.Build,
		TenantURL:        cfg.TenantURL,
		Secret:           secret,
		Ledger:           ledger,
		Key:              key,
		VPC:              cfg.VPC,
		Topic:            alarms.Topic,
		LogRetentionDays: cfg.LogRetentionDays,
		ReadsPerMinute:   cfg.WatchReadsPerMinute,
		MaxRunHours:      cfg.MaxRunHours,
		HistoryDays:      cfg.HistoryDays,
		CodeFiles:        codeFiles,
		StartQueue:       queue,
	})
	addOutcomeAlarms(alarms, cfg.Name, watcher.Function)
	dashboardURL := NewDashboard(stack, "Dashboard", &DashboardProps{
		Environment:     cfg.Name,
		Function:        fn.Function,
		Watcher:         watcher.Function,
		StartQueue:      queue,
		DeadLetterQueue: dlq,
		Alarms:          alarms.List,
	})

	group := awsscheduler.NewCfnScheduleGroup(stack, jsii.String(scheduleGroupID), &awsscheduler.CfnScheduleGroupProps{
		Name: jsii.String(names.ScheduleGroup),
	})

	// Scheduler may assume this role only for schedules of this group.
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SendToStartQueue"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: jsii.Strings(*queue.QueueArn()),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SendUndeliverableEvents"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: jsii.Strings(*dlq.QueueArn()),
		}),
	}
	if key != nil {
		// A producer of a queue under a customer-managed key needs both.
		statements = append(statements, viaService("EncryptForStartQueue", key, "sqs", "kms:GenerateDataKey", "kms:Decrypt"))
	}
	schedulerRole := awsiam.NewRole(stack, jsii.String(schedulerRoleID), &awsiam.RoleProps{
		RoleName:    awscdk.Fn_Sub(jsii.String(names.SchedulerRole), nil),
		Description: jsii.String("EventBridge Scheduler: sends scheduled runs to the start queue and undeliverable ones to the dead-letter queue"),
		AssumedBy:   sameAccountService("scheduler.amazonaws.com", group.AttrArn()),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"SendScheduledRuns": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
		},
	})

	target := ScheduleTarget{
		QueueArn:           queue.QueueArn(),
		RoleArn:            schedulerRole.RoleArn(),
		DeadLetterQueueArn: dlq.QueueArn(),
		GroupName:          group.Ref(),
	}

	output(stack, "PutCredentialCommand",
		"Puts the Qlik API key into the secret, which is created empty (keys expire after 24 h unless the tenant allows longer)",
		awscdk.Fn_Join(jsii.String(""), jsii.Strings(
			"aws secretsmanager put-secret-value --region ", *awscdk.Aws_REGION(),
			" --secret-id ", *secret.SecretArn(),
			" --secret-string 'YOUR-QLIK-API-KEY'")))
	output(stack, "PutOAuthClientCommand",
		"Puts a Qlik OAuth machine-to-machine client into the secret instead of an API key (recommended: it does not expire)",
		awscdk.Fn_Join(jsii.String(""), jsii.Strings(
			"aws secretsmanager put-secret-value --region ", *awscdk.Aws_REGION(),
			" --secret-id ", *secret.SecretArn(),
			` --secret-string '{"clientId":"YOUR-CLIENT-ID","clientSecret":"YOUR-CLIENT-SECRET"}'`)))
	output(stack, "InvokeCommand",
		"Starts one reload now, as a schedule would, and prints the function's result",
		awscdk.Fn_Join(jsii.String(""), jsii.Strings(
			"aws lambda invoke --region ", *awscdk.Aws_REGION(),
			" --function-name ", *fn.Function.FunctionName(),
			` --cli-binary-format raw-in-base64-out --payload '{"appId":"YOUR-APP-ID"}' /dev/stdout`)))
	// Without --destination-arn, SQS returns each message to the queue it
	// came from, and the runs Scheduler dead-lettered came from none.
	output(stack, "RedriveCommand",
		"Moves every run in the dead-letter queue back to the start queue, once its cause is fixed",
		awscdk.Fn_Join(jsii.String(""), jsii.Strings(
			"aws sqs start-message-move-task --source-arn ", *dlq.QueueArn(),
			" --destination-arn ", *queue.QueueArn(),
			" --region ", *awscdk.Aws_REGION())))
	output(stack, "FunctionArn", "The reload function's ARN", fn.Function.FunctionArn())
	output(stack, "FunctionName", "The reload function", fn.Function.FunctionName())
	output(stack, "SchedulerRoleArn", "The role EventBridge Scheduler sends runs to the start queue with", target.RoleArn)
	output(stack, "ScheduleGroupName", "The schedule group holding this environment's schedules", target.GroupName)
	output(stack, "StartQueueArn", "The queue every schedule sends its runs to", queue.QueueArn())
	output(stack, "StartQueueUrl", "The queue every schedule sends its runs to", queue.QueueUrl())
	output(stack, assembly.LedgerTableOutput, "The run ledger: one item per run, keyed by row and scheduled time", ledger.TableName())
	output(stack, "LogGroupName", "The reload function's JSON logs", fn.LogGroup.LogGroupName())
	output(stack, "DeadLetterQueueArn", "Runs that were not started: too late, undeliverable, or failed for a cause a person must fix", target.DeadLetterQueueArn)
	output(stack, "DeadLetterQueueUrl", "Runs that were not started: too late, undeliverable, or failed for a cause a person must fix", dlq.QueueUrl())
	output(stack, "AlarmTopicArn", "The SNS topic the alarms notify", alarms.Topic.TopicArn())
	output(stack, "CredentialSecretArn", "The secret holding the Qlik credential", secret.SecretArn())
	output(stack, "DashboardUrl", "The environment's CloudWatch dashboard: runs, outcomes, lateness, backlog, durations, rate limits, alarms", dashboardURL)
	output(stack, "WatcherFunctionName", "The watcher that follows every started reload to its end", watcher.Function.FunctionName())

	return &Core{Stack: stack, Target: target}
}

// deadLetterQueue is the one queue for every kind of failure: runs
// Scheduler could not deliver, runs the function dead-lettered (too late, or
// a cause only a person can fix), runs the start queue's redrive policy gave
// up on, and failed direct asynchronous invocations. 14 days is SQS's
// longest retention, time enough to fix and redrive. It is encrypted with
// the customer-managed key when there is one, else with SQS's own.
func deadLetterQueue(stack awscdk.Stack, name, startQueueName string, key awskms.IKey) awssqs.Queue {
	dlq := awssqs.NewQueue(stack, jsii.String(deadLetterQueueID), &awssqs.QueueProps{
		QueueName:           jsii.String(name),
		Encryption:          queueEncryption(key),
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(queueRetentionDays)),
	})
	// The queue names the one queue whose redrive policy may point at it:
	// the start queue. Beyond keeping other queues out, a dead-letter
	// queue that declares its sources needs no dead-letter queue of its
	// own under AWS Control Tower's CT.SQS.PR.1. The start queue's ARN is
	// built from its fixed name, since a reference would make the two
	// queues depend on each other.
	dlq.Node().DefaultChild().(awssqs.CfnQueue).AddPropertyOverride(jsii.String("RedriveAllowPolicy"), map[string]interface{}{
		"redrivePermission": "byQueue",
		"sourceQueueArns":   []interface{}{queueArnByName(startQueueName)},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue of the schedules, of the start queue and of the function's asynchronous invocations."),
	}}, jsii.Bool(false))
	return dlq
}

// credentialSecret returns the secret the function reads, encrypted with
// key when it is not nil.
func credentialSecret(scope constructs.Construct, cfg *config.Config, key awskms.IKey) awssecretsmanager.ISecret {
	if cfg.ExistingSecretArn != "" {
		return awssecretsmanager.Secret_FromSecretCompleteArn(scope, jsii.String("Credential"), jsii.String(cfg.ExistingSecretArn))
	}
	// The secret is retained on stack deletion so that deleting and
	// redeploying an environment does not lose the credential an operator
	// put.
	secret := awssecretsmanager.NewSecret(scope, jsii.String("Credential"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("Qlik Cloud credential for the reload function: an API key, or {\"clientId\",\"clientSecret\"} of an OAuth machine-to-machine client"),
		EncryptionKey: key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// The template holds no value at all, so the secret is created empty.
	// CloudFormation writes a new secret version whenever SecretString or
	// GenerateSecretString changes, which would overwrite the credential an
	// operator put; with neither, no template change can. The L2 construct
	// generates a value unless told otherwise, hence the override.
	secret.Node().DefaultChild().(awssecretsmanager.CfnSecret).AddPropertyDeletionOverride(jsii.String("GenerateSecretString"))
	cdknag.NagSuppressions_AddResourceSuppressions(secret, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("Qlik issues API keys and OAuth clients in its own console; Secrets Manager cannot rotate them. " +
			"The README describes rotation, and the function re-reads the secret within minutes of a change."),
	}}, jsii.Bool(false))
	return secret
}

func output(stack awscdk.Stack, id, description string, value *string) {
	awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
		Description: jsii.String(description),
		Value:       value,
	})
}
