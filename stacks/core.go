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
	// Target is what the schedules invoke, for every schedule stack.
	Target ScheduleTarget
}

// NewCore builds the credential secret, the reload function, the dead-letter
// queue, the alarms, Scheduler's role and the schedule group.
func NewCore(scope constructs.Construct, id string, props *CoreProps) *Core {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	cfg := props.Config

	// The customer-managed key, when configured, encrypts everything that
	// holds data at rest: the secret, the logs, the queue and the topic.
	var key awskms.IKey
	if cfg.KMSKeyArn != "" {
		key = awskms.Key_FromKeyArn(stack, jsii.String("CredentialKey"), jsii.String(cfg.KMSKeyArn))
	}

	dlq := deadLetterQueue(stack, key)
	secret := credentialSecret(stack, cfg, key)

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
	})

	alarms := NewAlarms(stack, "Alarms", &AlarmsProps{
		Environment:     cfg.Name,
		Function:        fn.Function,
		DeadLetterQueue: dlq,
		Email:           cfg.AlarmEmail,
		Key:             key,
	})

	group := awsscheduler.NewCfnScheduleGroup(stack, jsii.String("ScheduleGroup"), &awsscheduler.CfnScheduleGroupProps{})

	schedulerStatements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("InvokeReloadFunction"),
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: jsii.Strings(*fn.Function.FunctionArn()),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SendUndeliverableEvents"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: jsii.Strings(*dlq.QueueArn()),
		}),
	}
	if key != nil {
		schedulerStatements = append(schedulerStatements, keyViaService("EncryptUndeliverableEvents", key, "sqs", "kms:GenerateDataKey", "kms:Decrypt"))
	}
	// Scheduler may assume this role only for schedules of this group.
	schedulerRole := awsiam.NewRole(stack, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		Description: jsii.String("EventBridge Scheduler: invokes the reload function and sends undeliverable events to its dead-letter queue"),
		AssumedBy:   sameAccountService("scheduler.amazonaws.com", group.AttrArn()),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"InvokeReloadFunction": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &schedulerStatements}),
		},
	})

	target := ScheduleTarget{
		FunctionArn:        fn.Function.FunctionArn(),
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
	// The other schedule stacks read these four outputs (see
	// importedTarget); their names must not change.
	output(stack, outputFunctionArn, "The reload function's ARN, which every schedule invokes", target.FunctionArn)
	output(stack, outputSchedulerRoleArn, "The role EventBridge Scheduler invokes the function with", target.RoleArn)
	output(stack, outputDeadLetterQueueArn, "The dead-letter queue of the schedules and the function", target.DeadLetterQueueArn)
	output(stack, outputScheduleGroupName, "The schedule group holding this environment's schedules", target.GroupName)
	output(stack, "FunctionName", "The reload function", fn.Function.FunctionName())
	output(stack, "LogGroupName", "The reload function's JSON logs", fn.LogGroup.LogGroupName())
	output(stack, "DeadLetterQueueUrl", "Events that could not start a reload after all retries", dlq.QueueUrl())
	output(stack, "AlarmTopicArn", "The SNS topic the alarms notify", alarms.Topic.TopicArn())
	output(stack, "CredentialSecretArn", "The secret holding the Qlik credential", secret.SecretArn())

	return &Core{Stack: stack, Target: target}
}

// deadLetterQueue is the one queue for both kinds of failure: events
// Scheduler could not deliver and events the function failed on after its
// retries. 14 days is SQS's longest retention, time enough to fix and
// redrive. It is encrypted with the customer-managed key when there is one,
// else with SQS's own.
func deadLetterQueue(stack awscdk.Stack, key awskms.IKey) awssqs.Queue {
	props := &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	}
	if key != nil {
		props.Encryption, props.EncryptionMasterKey = awssqs.QueueEncryption_KMS, key
	}
	dlq := awssqs.NewQueue(stack, jsii.String("DeadLetterQueue"), props)
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue of the schedules and of the function's asynchronous invocations."),
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
