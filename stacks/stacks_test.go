package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

const (
	tenant   = "https://acme.eu.qlikcloud.com"
	appID    = "687ef393-f0ad-4c64-ac59-6db967126015"
	kmsKey   = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	existing = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qlik/prod-AbCdEf"
)

// testConfig is a small valid environment; cases change what they test.
func testConfig(change func(*config.Config)) *config.Config {
	yes := true
	cfg := &config.Config{
		Name:                "unit",
		Path:                "config/unit.yaml",
		TenantURL:           tenant,
		Timezone:            "Europe/Stockholm",
		ScheduleStacks:      1,
		LogRetentionDays:    90,
		WaitSeconds:         5,
		Concurrency:         5,
		MaxDelayMinutes:     60,
		HistoryDays:         90,
		WatchReadsPerMinute: 100,
		MaxRunHours:         12,
		Reloads: []config.Reload{
			{Name: "sales-weekdays", AppID: appID, Schedule: "cron(0/5 8-17 ? * MON-FRI *)", Timezone: "Europe/Stockholm", Enabled: true},
			{Name: "sales-weekend", AppID: appID, Schedule: "cron(0 9 ? * SAT,SUN *)", Timezone: "America/New_York", Enabled: false,
				Partial: &yes, Description: "paused for the migration", FlexibleWindowMinutes: 15, Weight: 5, Variables: map[string]string{"vRegion": "EMEA"}},
		},
	}
	if change != nil {
		change(cfg)
	}
	return cfg
}

// newEnvironment synthesizes cfg in a fresh app without building the
// function.
func newEnvironment(t *testing.T, cfg *config.Config) *Environment {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(t.TempDir()),
		Context: &map[string]interface{}{"aws:cdk:bundling-stacks": []string{}},
	})
	return NewEnvironment(app, cfg, Props{ModuleDir: moduleDir(t)})
}

func moduleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// check runs CDK assertions, which panic on failure, as a failed test
// rather than a crashed test binary.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

// coreTemplate synthesizes cfg and returns the core stack's template.
func coreTemplate(t *testing.T, cfg *config.Config) assertions.Template {
	t.Helper()
	return assertions.Template_FromStack(newEnvironment(t, cfg).Core.Stack, nil)
}

func sourceAccount(extra map[string]interface{}) map[string]interface{} {
	equals := map[string]interface{}{"aws:SourceAccount": map[string]interface{}{"Ref": "AWS::AccountId"}}
	for k, v := range extra {
		equals[k] = v
	}
	return map[string]interface{}{"StringEquals": equals}
}

// attArn matches the Arn attribute of the resource whose logical ID
// starts with prefix.
func attArn(prefix string) interface{} {
	return map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^" + prefix)), "Arn"}}
}

// keyVia is the statement that allows actions on the test's KMS key
// through one service of the stack's region.
func keyVia(sid, service string, actions ...interface{}) interface{} {
	var action interface{} = actions
	if len(actions) == 1 {
		action = actions[0]
	}
	return map[string]interface{}{
		"Sid": sid, "Effect": "Allow", "Action": action, "Resource": kmsKey,
		"Condition": map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": map[string]interface{}{
			"Fn::Join": []interface{}{"", []interface{}{service + ".", map[string]interface{}{"Ref": "AWS::Region"}, ".amazonaws.com"}},
		}}},
	}
}

// roleWith matches exactly a role with the given other properties (its
// description, its name), trusted by service under condition, with one
// inline policy of exactly these statements.
func roleWith(props map[string]interface{}, service string, condition interface{}, policy string, statements []interface{}) assertions.Matcher {
	role := map[string]interface{}{
		"AssumeRolePolicyDocument": map[string]interface{}{
			"Version": "2012-10-17",
			"Statement": []interface{}{map[string]interface{}{
				"Effect": "Allow", "Action": "sts:AssumeRole",
				"Principal": map[string]interface{}{"Service": service},
				"Condition": condition,
			}},
		},
		"Policies": []interface{}{map[string]interface{}{
			"PolicyName": policy,
			"PolicyDocument": map[string]interface{}{
				"Version":   "2012-10-17",
				"Statement": assertions.Match_ArrayEquals(&statements),
			},
		}},
	}
	for k, v := range props {
		role[k] = v
	}
	return assertions.Match_ObjectEquals(&role)
}

func TestFunction(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(nil))
	check(t, "function", func() {
		// The reload function and the watcher.
		tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(2))
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{
			"Runtime":       "provided.al2023",
			"Architectures": []interface{}{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    256,
			"Timeout":       120,
			"Environment": map[string]interface{}{"Variables": assertions.Match_ObjectEquals(&map[string]interface{}{
				"QLIK_TENANT_URL":            tenant,
				"QLIK_API_KEY_SECRET_ID":     map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Credential"))},
				"QLIK_WAIT_TIMEOUT":          "5s",
				"QLIK_LEDGER_TABLE":          map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Ledger"))},
				"QLIK_START_QUEUE_URL":       map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^StartQueue"))},
				"QLIK_DEAD_LETTER_QUEUE_URL": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^DeadLetterQueue"))},
				"QLIK_MAX_DELAY_MINUTES":     "60",
				"QLIK_HISTORY_DAYS":          "90",
			})},
			"LoggingConfig": map[string]interface{}{
				"LogFormat": "JSON",
				"LogGroup":  map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ReloadLogs"))},
			},
			"ReservedConcurrentExecutions": assertions.Match_Absent(),
		})
	})
	check(t, "log group", func() {
		tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{
			"Properties":     map[string]interface{}{"RetentionInDays": 90},
			"DeletionPolicy": "Retain",
		})
	})
	check(t, "asynchronous invocation", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]interface{}{
			"Qualifier":                "$LATEST",
			"MaximumRetryAttempts":     2,
			"MaximumEventAgeInSeconds": 3600,
			"DestinationConfig": map[string]interface{}{"OnFailure": map[string]interface{}{
				"Destination": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^DeadLetterQueue")), "Arn"}},
			}},
		})
	})
}

func TestReservedConcurrency(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.ReservedConcurrency = 5 }))
	check(t, "reserved concurrency", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{"ReservedConcurrentExecutions": 5})
	})
}

func TestFunctionRoleIsLeastPrivilege(t *testing.T) {
	ref := func(prefix string) interface{} {
		return map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^" + prefix))}
	}
	arn := attArn
	statements := []interface{}{
		map[string]interface{}{"Sid": "ReadQlikCredential", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": ref("Credential")},
		map[string]interface{}{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": []interface{}{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": arn("ReloadLogs")},
		map[string]interface{}{"Sid": "SendFailedEvents", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn("DeadLetterQueue")},
		map[string]interface{}{"Sid": "ConsumeStartQueue", "Effect": "Allow", "Resource": arn("StartQueue"),
			"Action": []interface{}{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}},
		map[string]interface{}{"Sid": "RecordRuns", "Effect": "Allow", "Resource": arn("Ledger"),
			"Action": []interface{}{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}},
	}
	cases := []struct {
		name       string
		change     func(*config.Config)
		statements []interface{}
	}{
		{name: "created secret", statements: statements},
		{
			name:   "existing secret with a customer-managed key",
			change: func(c *config.Config) { c.ExistingSecretArn = existing; c.KMSKeyArn = kmsKey },
			statements: []interface{}{
				map[string]interface{}{"Sid": "ReadQlikCredential", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": existing},
				statements[1], statements[2], statements[3], statements[4],
				keyVia("DecryptQlikCredential", "secretsmanager", "kms:Decrypt"),
				keyVia("UseQueueKey", "sqs", "kms:Decrypt", "kms:GenerateDataKey"),
				keyVia("UseLedgerKey", "dynamodb", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := coreTemplate(t, testConfig(tc.change))
			check(t, "function role", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), roleWith(
					map[string]interface{}{"Description": assertions.Match_StringLikeRegexp(jsii.String("^Reload function"))},
					"lambda.amazonaws.com", sourceAccount(nil), "ReloadFunction", tc.statements))
			})
		})
	}
}

func TestSchedulerRoleIsLeastPrivilege(t *testing.T) {
	statements := []interface{}{
		map[string]interface{}{"Sid": "SendToStartQueue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": attArn("StartQueue")},
		map[string]interface{}{"Sid": "SendUndeliverableEvents", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": attArn("DeadLetterQueue")},
	}
	cases := []struct {
		name       string
		change     func(*config.Config)
		statements []interface{}
	}{
		{name: "SQS-managed encryption", statements: statements},
		{
			name:   "customer-managed key",
			change: func(c *config.Config) { c.KMSKeyArn = kmsKey },
			statements: append(append([]interface{}{}, statements...),
				keyVia("EncryptForStartQueue", "sqs", "kms:GenerateDataKey", "kms:Decrypt")),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := coreTemplate(t, testConfig(tc.change))
			check(t, "scheduler role", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), roleWith(
					map[string]interface{}{
						"RoleName":    map[string]interface{}{"Fn::Sub": "QlikReloads-unit-SchedulerRole-${AWS::Region}"},
						"Description": assertions.Match_StringLikeRegexp(jsii.String("^EventBridge Scheduler")),
					},
					"scheduler.amazonaws.com",
					sourceAccount(map[string]interface{}{"aws:SourceArn": map[string]interface{}{"Fn::GetAtt": []interface{}{"ScheduleGroup", "Arn"}}}),
					"SendScheduledRuns", tc.statements))
			})
		})
	}
}

// TestNoWildcardsOrManagedPolicies scans every IAM statement of every
// variant for "*" and for AWS managed or separate policies.
func TestNoWildcardsOrManagedPolicies(t *testing.T) {
	variants := map[string]func(*config.Config){
		"default":         nil,
		"kms and secret":  func(c *config.Config) { c.ExistingSecretArn = existing; c.KMSKeyArn = kmsKey },
		"created kms":     func(c *config.Config) { c.KMSKeyArn = kmsKey },
		"alarm email":     func(c *config.Config) { c.AlarmEmail = "bi-ops@example.com" },
		"several stacks":  func(c *config.Config) { c.ScheduleStacks = 3 },
		"reserved and tz": func(c *config.Config) { c.ReservedConcurrency = 3 },
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			env := newEnvironment(t, testConfig(change))
			all := append([]awscdk.Stack{env.Core.Stack}, env.Schedules...)
			for _, stack := range all {
				tmpl := assertions.Template_FromStack(stack, nil).ToJSON()
				resources, _ := (*tmpl)["Resources"].(map[string]interface{})
				for id, r := range resources {
					res := r.(map[string]interface{})
					typ := res["Type"].(string)
					if typ == "AWS::IAM::Policy" || typ == "AWS::IAM::ManagedPolicy" {
						t.Errorf("%s: %s is a separate policy; keep permissions inline on their role", id, typ)
					}
					if typ != "AWS::IAM::Role" {
						continue
					}
					props := res["Properties"].(map[string]interface{})
					if _, ok := props["ManagedPolicyArns"]; ok {
						t.Errorf("%s: role has managed policies %v", id, props["ManagedPolicyArns"])
					}
					raw, _ := json.Marshal(props["Policies"])
					if strings.Contains(string(raw), "*") {
						t.Errorf("%s: a policy statement holds a wildcard: %s", id, raw)
					}
				}
			}
		})
	}
}

func TestSecret(t *testing.T) {
	t.Run("created", func(t *testing.T) {
		tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.KMSKeyArn = kmsKey }))
		check(t, "secret", func() {
			tmpl.HasResource(jsii.String("AWS::SecretsManager::Secret"), map[string]interface{}{
				"Properties": assertions.Match_ObjectEquals(&map[string]interface{}{
					"Description": assertions.Match_AnyValue(),
					"KmsKeyId":    kmsKey,
				}),
				"DeletionPolicy":      "Retain",
				"UpdateReplacePolicy": "Retain",
			})
			tmpl.HasOutput(jsii.String("PutCredentialCommand"), map[string]interface{}{
				"Value": map[string]interface{}{"Fn::Join": []interface{}{"", assertions.Match_ArrayWith(&[]interface{}{
					"aws secretsmanager put-secret-value --region ",
				})}},
			})
			tmpl.HasOutput(jsii.String("PutOAuthClientCommand"), assertions.Match_AnyValue())
		})
	})
	t.Run("existing", func(t *testing.T) {
		tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.ExistingSecretArn = existing }))
		check(t, "no secret created", func() {
			tmpl.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(0))
			tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{
				"Environment": map[string]interface{}{"Variables": map[string]interface{}{"QLIK_API_KEY_SECRET_ID": existing}},
			})
		})
	})
}

func TestQueues(t *testing.T) {
	tlsOnly := map[string]interface{}{
		"PolicyDocument": map[string]interface{}{"Statement": []interface{}{map[string]interface{}{
			"Effect":    "Deny",
			"Action":    "sqs:*",
			"Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
			"Principal": map[string]interface{}{"AWS": "*"},
			"Resource":  assertions.Match_AnyValue(),
		}}},
	}
	dlqArn := map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^DeadLetterQueue")), "Arn"}}
	cases := []struct {
		name       string
		change     func(*config.Config)
		encryption map[string]interface{}
	}{
		{name: "SQS-managed encryption", encryption: map[string]interface{}{"SqsManagedSseEnabled": true, "KmsMasterKeyId": assertions.Match_Absent()}},
		{name: "customer-managed key", change: func(c *config.Config) { c.KMSKeyArn = kmsKey },
			encryption: map[string]interface{}{"KmsMasterKeyId": kmsKey, "SqsManagedSseEnabled": assertions.Match_Absent()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := coreTemplate(t, testConfig(tc.change))
			check(t, "queues", func() {
				tmpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(2))
				// The dead-letter queue admits redrives from the start queue
				// only, named by its fixed ARN.
				dead := map[string]interface{}{
					"QueueName":              "QlikReloads-unit-DeadLetterQueue",
					"MessageRetentionPeriod": 14 * 24 * 3600,
					"RedriveAllowPolicy": map[string]interface{}{
						"redrivePermission": "byQueue",
						"sourceQueueArns": []interface{}{map[string]interface{}{
							"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:QlikReloads-unit-StartQueue",
						}},
					},
				}
				for k, v := range tc.encryption {
					dead[k] = v
				}
				tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), dead)
				start := map[string]interface{}{
					"QueueName":              "QlikReloads-unit-StartQueue",
					"MessageRetentionPeriod": 14 * 24 * 3600,
					"VisibilityTimeout":      6 * 120,
					"FifoQueue":              assertions.Match_Absent(),
					"RedrivePolicy":          map[string]interface{}{"deadLetterTargetArn": dlqArn, "maxReceiveCount": 1000},
				}
				for k, v := range tc.encryption {
					start[k] = v
				}
				tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), start)
				tmpl.ResourceCountIs(jsii.String("AWS::SQS::QueuePolicy"), jsii.Number(2))
				tmpl.AllResourcesProperties(jsii.String("AWS::SQS::QueuePolicy"), tlsOnly)
			})
		})
	}
}

func TestStartQueueMapping(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.Concurrency = 7 }))
	check(t, "event source mapping", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"FunctionName":          map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ReloadFunction"))},
			"EventSourceArn":        map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^StartQueue")), "Arn"}},
			"BatchSize":             10,
			"FunctionResponseTypes": []interface{}{"ReportBatchItemFailures"},
			"ScalingConfig":         map[string]interface{}{"MaximumConcurrency": 7},
		}))
	})
}

func TestLedger(t *testing.T) {
	cases := []struct {
		name   string
		change func(*config.Config)
		sse    interface{}
	}{
		// SSEEnabled false is DynamoDB's own encryption with an AWS owned key.
		{name: "default encryption", sse: map[string]interface{}{"SSEEnabled": false}},
		{name: "customer-managed key", change: func(c *config.Config) { c.KMSKeyArn = kmsKey },
			sse: map[string]interface{}{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": kmsKey}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := coreTemplate(t, testConfig(tc.change))
			str := func(name string) interface{} {
				return map[string]interface{}{"AttributeName": name, "AttributeType": "S"}
			}
			key := func(hash, rng string) interface{} {
				return []interface{}{
					map[string]interface{}{"AttributeName": hash, "KeyType": "HASH"},
					map[string]interface{}{"AttributeName": rng, "KeyType": "RANGE"},
				}
			}
			check(t, "ledger", func() {
				tmpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
				tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]interface{}{
					"Properties": assertions.Match_ObjectEquals(&map[string]interface{}{
						"KeySchema":                        key("pk", "sk"),
						"AttributeDefinitions":             assertions.Match_ArrayEquals(&[]interface{}{str("pk"), str("sk"), str("openShard"), str("scheduledTime"), str("runDay")}),
						"BillingMode":                      "PAY_PER_REQUEST",
						"PointInTimeRecoverySpecification": map[string]interface{}{"PointInTimeRecoveryEnabled": true},
						"TimeToLiveSpecification":          map[string]interface{}{"AttributeName": "expiresAt", "Enabled": true},
						"SSESpecification":                 tc.sse,
						"GlobalSecondaryIndexes": []interface{}{map[string]interface{}{
							"IndexName":  "open",
							"KeySchema":  key("openShard", "scheduledTime"),
							"Projection": map[string]interface{}{"ProjectionType": "ALL"},
						}, map[string]interface{}{
							"IndexName":  "history",
							"KeySchema":  key("runDay", "scheduledTime"),
							"Projection": map[string]interface{}{"ProjectionType": "ALL"},
						}},
					}),
					"DeletionPolicy":      "Retain",
					"UpdateReplacePolicy": "Retain",
				})
				tmpl.HasOutput(jsii.String("LedgerTableName"), map[string]interface{}{
					"Value": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Ledger"))},
				})
			})
		})
	}
}

func TestRedriveCommand(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(nil))
	arn := attArn
	check(t, "redrive command", func() {
		tmpl.HasOutput(jsii.String("RedriveCommand"), map[string]interface{}{
			"Value": map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{
				"aws sqs start-message-move-task --source-arn ", arn("DeadLetterQueue"),
				" --destination-arn ", arn("StartQueue"),
				" --region ", map[string]interface{}{"Ref": "AWS::Region"},
			}}},
		})
	})
}

func TestAlarms(t *testing.T) {
	cases := []struct {
		name          string
		email         string
		subscriptions int
	}{
		{name: "without email", subscriptions: 0},
		{name: "with email", email: "bi-ops@example.com", subscriptions: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.AlarmEmail = tc.email }))
			topic := map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^AlarmsTopic"))}
			check(t, "alarms", func() {
				tmpl.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(float64(tc.subscriptions)))
				if tc.email != "" {
					tmpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]interface{}{
						"Protocol": "email", "Endpoint": tc.email, "TopicArn": topic,
					})
				}
				tmpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]interface{}{
					"PolicyDocument": map[string]interface{}{"Statement": assertions.Match_ArrayWith(&[]interface{}{
						assertions.Match_ObjectLike(&map[string]interface{}{"Effect": "Deny", "Action": "sns:Publish", "Principal": "*",
							"Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}}}),
						assertions.Match_ObjectLike(&map[string]interface{}{"Effect": "Allow", "Action": "sns:Publish",
							"Principal": map[string]interface{}{"Service": "cloudwatch.amazonaws.com"}, "Condition": sourceAccount(nil)}),
					})},
				})
				tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(6))
				tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]interface{}{
					"Namespace": "QlikReloadTriggers", "MetricName": "RunsFailed", "Statistic": "Sum",
					"Dimensions": []interface{}{map[string]interface{}{"Name": "Environment", "Value": "unit"}},
					"Threshold":  1, "EvaluationPeriods": 1, "Period": 300,
					"AlarmActions": []interface{}{topic},
				})
				tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]interface{}{
					"Namespace": "AWS/Lambda", "MetricName": "Errors",
					"Dimensions": []interface{}{map[string]interface{}{"Name": "FunctionName",
						"Value": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^WatcherFunction"))}}},
					"Threshold": 1, "AlarmActions": []interface{}{topic},
				})
				// Each alarm watches one queue or one function, by the
				// logical ID its dimension refers to.
				for _, a := range []struct {
					namespace, metric, statistic string
					queue, function              string
					threshold, periods           int
				}{
					{"AWS/Lambda", "Errors", "Sum", "", "ReloadFunction", 1, 1},
					{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "DeadLetterQueue", "", 1, 1},
					// A run waiting a quarter of an hour: reloads start late.
					{"AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", "StartQueue", "", 900, 1},
					{"AWS/Lambda", "Throttles", "Sum", "", "ReloadFunction", 1, 3},
				} {
					var dimensions interface{}
					switch {
					case a.queue != "":
						dimensions = []interface{}{map[string]interface{}{"Name": "QueueName",
							"Value": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^" + a.queue)), "QueueName"}}}}
					case a.function != "":
						dimensions = []interface{}{map[string]interface{}{"Name": "FunctionName",
							"Value": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^" + a.function))}}}
					default:
						t.Fatalf("alarm %s %s watches neither a queue nor a function", a.namespace, a.metric)
					}
					tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]interface{}{
						"Namespace": a.namespace, "MetricName": a.metric, "Statistic": a.statistic, "Dimensions": dimensions,
						"Threshold": a.threshold, "EvaluationPeriods": a.periods, "Period": 300,
						"ComparisonOperator": "GreaterThanOrEqualToThreshold",
						"TreatMissingData":   "notBreaching",
						"AlarmActions":       []interface{}{topic},
						"OKActions":          []interface{}{topic},
					})
				}
			})
		})
	}
}

func TestSchedules(t *testing.T) {
	cfg := testConfig(nil)
	tmpl := coreTemplate(t, cfg)
	target := func(input string) map[string]interface{} {
		return map[string]interface{}{
			"Arn":     map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^StartQueue")), "Arn"}},
			"RoleArn": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^SchedulerRole")), "Arn"}},
			"Input":   input,
			"RetryPolicy": map[string]interface{}{
				"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600,
			},
			"DeadLetterConfig": map[string]interface{}{
				"Arn": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^DeadLetterQueue")), "Arn"}},
			},
		}
	}
	check(t, "schedules", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Scheduler::ScheduleGroup"), jsii.Number(1))
		// The two rows' and the watcher's.
		tmpl.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(3))
		tmpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"GroupName":                  map[string]interface{}{"Ref": "ScheduleGroup"},
			"ScheduleExpression":         "cron(0/5 8-17 ? * MON-FRI *)",
			"ScheduleExpressionTimezone": "Europe/Stockholm",
			"State":                      "ENABLED",
			"FlexibleTimeWindow":         map[string]interface{}{"Mode": "OFF"},
			"Target":                     target(`{"appId":"` + appID + `","row":"sales-weekdays","scheduledTime":"<aws.scheduler.scheduled-time>","timezone":"Europe/Stockholm"}`),
		}))
		tmpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"GroupName":                  map[string]interface{}{"Ref": "ScheduleGroup"},
			"ScheduleExpression":         "cron(0 9 ? * SAT,SUN *)",
			"ScheduleExpressionTimezone": "America/New_York",
			"State":                      "DISABLED",
			"Description":                "paused for the migration",
			"FlexibleTimeWindow":         map[string]interface{}{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
			"Target":                     target(`{"appId":"` + appID + `","row":"sales-weekend","scheduledTime":"<aws.scheduler.scheduled-time>","partial":true,"variables":{"vRegion":"EMEA"},"weight":5,"timezone":"America/New_York"}`),
		}))
	})
}

func TestStackEnvironment(t *testing.T) {
	env := newEnvironment(t, testConfig(func(c *config.Config) { c.Account = "123456789012"; c.Region = "eu-west-1" }))
	if got := *env.Core.Stack.Account() + "/" + *env.Core.Stack.Region(); got != "123456789012/eu-west-1" {
		t.Errorf("core stack environment: got %s, want 123456789012/eu-west-1", got)
	}
	if got := *env.Core.Stack.StackName(); got != "QlikReloads-unit" {
		t.Errorf("core stack name: got %s, want QlikReloads-unit", got)
	}
}

// TestRowsSpreadOverScheduleStacks checks that each row lands in the stack
// its name hashes to, that the other stacks deploy after the core stack and
// name its resources rather than import exports, and that a stack left with
// no rows has no resources (so the CDK CLI deletes it).
func TestRowsSpreadOverScheduleStacks(t *testing.T) {
	cfg := testConfig(func(c *config.Config) {
		c.ScheduleStacks = 4
		c.Reloads = nil
		for i := 0; i < 40; i++ {
			c.Reloads = append(c.Reloads, config.Reload{Name: fmt.Sprintf("row-%02d", i), AppID: appID, Schedule: "rate(1 day)", Timezone: "UTC", Enabled: true})
		}
	})
	want := make([]int, cfg.ScheduleStacks)
	for _, r := range cfg.Reloads {
		want[config.StackIndex(r.Name, cfg.ScheduleStacks)]++
	}
	env := newEnvironment(t, cfg)
	stacks := append([]awscdk.Stack{env.Core.Stack}, env.Schedules...)
	if len(stacks) != cfg.ScheduleStacks {
		t.Fatalf("got %d stacks, want %d", len(stacks), cfg.ScheduleStacks)
	}
	for i, stack := range stacks {
		if got, wantName := *stack.StackName(), StackName("unit", i); got != wantName {
			t.Errorf("stack %d: name %s, want %s", i, got, wantName)
		}
		tmpl := assertions.Template_FromStack(stack, nil)
		wantSchedules := want[i]
		if i == 0 {
			wantSchedules++ // the watcher's
		}
		check(t, fmt.Sprintf("stack %d", i), func() {
			tmpl.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(float64(wantSchedules)))
		})
		if i == 0 {
			continue
		}
		if deps := *stack.Dependencies(); len(deps) != 1 || *deps[0].StackName() != StackName("unit", 0) {
			t.Errorf("stack %d must deploy after the core stack only; depends on %d stacks", i, len(deps))
		}
		raw, _ := json.Marshal(tmpl.ToJSON())
		if strings.Contains(string(raw), "Fn::ImportValue") {
			t.Errorf("stack %d imports exports; schedule stacks must read stack outputs", i)
		}
		if strings.Contains(string(raw), "Fn::GetStackOutput") {
			t.Errorf("stack %d reads the core stack's outputs, which go stale; name the core stack's resources", i)
		}
	}

	// Emptying stack 1 leaves it in the assembly, with no resources.
	cfg.Reloads = cfg.Reloads[:0]
	env = newEnvironment(t, cfg)
	tmpl := assertions.Template_FromStack(env.Schedules[0], nil).ToJSON()
	if _, ok := (*tmpl)["Resources"]; ok {
		t.Errorf("an empty schedule stack has resources: %v", (*tmpl)["Resources"])
	}
}

// TestLargestCoreStackFitsCloudFormation pins config.MaxSchedulesPerStack:
// the core stack with every option set and a full share of schedules stays
// under CloudFormation's 500 resources.
func TestLargestCoreStackFitsCloudFormation(t *testing.T) {
	cfg := testConfig(func(c *config.Config) {
		c.AlarmEmail = "bi-ops@example.com"
		c.KMSKeyArn = kmsKey
		c.ReservedConcurrency = 10
		c.Reloads = nil
		for i := 0; i < config.MaxSchedulesPerStack; i++ {
			c.Reloads = append(c.Reloads, config.Reload{Name: fmt.Sprintf("row-%04d", i), AppID: appID, Schedule: "rate(1 day)", Timezone: "UTC", Enabled: true})
		}
	})
	tmpl := assertions.Template_FromStack(newEnvironment(t, cfg).Core.Stack, nil).ToJSON()
	resources := (*tmpl)["Resources"].(map[string]interface{})
	if n := len(resources); n >= 500 {
		t.Errorf("core stack with %d schedules has %d resources; CloudFormation allows 500", config.MaxSchedulesPerStack, n)
	}
}

// TestGoToolchainMatchesGoMod keeps the pinned build toolchain and go.mod in
// step: a machine with a newer Go must still build the same bytes.
func TestGoToolchainMatchesGoMod(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moduleDir(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "go" + string(m[1]); goToolchain != want {
		t.Errorf("goToolchain is %s, go.mod says %s", goToolchain, want)
	}
}

// TestScheduleStacksFollowReplacedCoreResources is the guard against stale
// references: a schedule stack must change whenever the core stack replaces
// a resource its schedules use. Each such resource has a physical name,
// which CloudFormation cannot keep across a replacement: it refuses to
// replace a custom-named resource in place, a queue's or role's name holds
// its construct ID, and the logical IDs are pinned here, so a replacement
// is always a rename. The test checks that every schedule of every schedule
// stack refers to exactly those names, and by name rather than through the
// core stack's outputs, so that a rename changes the schedule stacks'
// templates too.
func TestScheduleStacksFollowReplacedCoreResources(t *testing.T) {
	cfg := testConfig(func(c *config.Config) {
		c.ScheduleStacks = 3
		c.Reloads = nil
		for i := 0; i < 12; i++ {
			c.Reloads = append(c.Reloads, config.Reload{Name: fmt.Sprintf("row-%02d", i), AppID: appID, Schedule: "rate(1 day)", Timezone: "UTC", Enabled: true})
		}
	})
	env := newEnvironment(t, cfg)
	resolve := func(v interface{}) string {
		t.Helper()
		switch v := v.(type) {
		case string:
			return v
		case map[string]interface{}:
			if sub, ok := v["Fn::Sub"].(string); ok && len(v) == 1 {
				return strings.NewReplacer("${AWS::Partition}", "aws", "${AWS::Region}", "eu-west-1", "${AWS::AccountId}", "123456789012").Replace(sub)
			}
		}
		t.Fatalf("a schedule stack refers to %v, which is neither a name nor an Fn::Sub of one", v)
		return ""
	}

	// The names the core stack gives its resources, by construct ID. Their
	// logical IDs are pinned: a construct moved to another scope keeps its
	// construct ID, and so its name, under a new logical ID, and
	// CloudFormation would then create the "new" resource under the old
	// resource's name before deleting the old one.
	core := assertions.Template_FromStack(env.Core.Stack, nil).ToJSON()
	resources := (*core)["Resources"].(map[string]interface{})
	named := map[string]string{}
	for _, r := range []struct{ logicalID, constructID, property string }{
		{"StartQueue0122B2D4", startQueueID, "QueueName"},
		{"DeadLetterQueue9F481546", deadLetterQueueID, "QueueName"},
		{"SchedulerRole59E73443", schedulerRoleID, "RoleName"},
		{"ScheduleGroup", scheduleGroupID, "Name"},
	} {
		res, ok := resources[r.logicalID].(map[string]interface{})
		if !ok {
			t.Fatalf("the core stack has no %s: a moved or renamed %s must get a new name too (see sharedNames); then update this pin", r.logicalID, r.constructID)
		}
		props, _ := res["Properties"].(map[string]interface{})
		if props[r.property] == nil {
			t.Fatalf("%s has no %s; a generated name changes on replacement without changing the schedule stacks", r.logicalID, r.property)
		}
		named[r.constructID] = resolve(props[r.property])
	}
	for _, id := range []string{startQueueID, deadLetterQueueID, schedulerRoleID} {
		if !strings.Contains(named[id], id) {
			t.Errorf("%s is named %q, without its construct ID; a new construct ID would not rename it", id, named[id])
		}
	}
	want := map[string]string{
		"Arn":        "arn:aws:sqs:eu-west-1:123456789012:" + named[startQueueID],
		"RoleArn":    "arn:aws:iam::123456789012:role/" + named[schedulerRoleID],
		"DeadLetter": "arn:aws:sqs:eu-west-1:123456789012:" + named[deadLetterQueueID],
		"GroupName":  named[scheduleGroupID],
	}

	// Every schedule outside the core stack refers to those names.
	schedules := 0
	for i, stack := range env.Schedules {
		tmpl := assertions.Template_FromStack(stack, nil).ToJSON()
		resources, _ := (*tmpl)["Resources"].(map[string]interface{})
		for id, r := range resources {
			res := r.(map[string]interface{})
			if res["Type"] != "AWS::Scheduler::Schedule" {
				continue
			}
			schedules++
			props := res["Properties"].(map[string]interface{})
			target := props["Target"].(map[string]interface{})
			got := map[string]string{
				"Arn":        resolve(target["Arn"]),
				"RoleArn":    resolve(target["RoleArn"]),
				"DeadLetter": resolve(target["DeadLetterConfig"].(map[string]interface{})["Arn"]),
				"GroupName":  resolve(props["GroupName"]),
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("stack %d, schedule %s refers to other resources than the core stack's (-got +want):\n%s", i+1, id, diff)
			}
		}
	}
	if schedules == 0 {
		t.Fatal("no schedule outside the core stack; spread the rows differently")
	}

}

// TestSharedNamesFitAWSLimits: IAM role names hold 64 characters, queue
// and schedule group names 80 and 64; the longest environment name must
// fit with the longest region, and two long environments stay apart.
func TestSharedNamesFitAWSLimits(t *testing.T) {
	long := strings.Repeat("e", 39)
	region := "us-isof-south-1"
	for _, env := range []string{"prod", long + "a", long + "b"} {
		n := newSharedNames(env)
		role := strings.ReplaceAll(n.SchedulerRole, "${AWS::Region}", region)
		if len(role) > 64 {
			t.Errorf("%s: role name %q is %d characters; IAM allows 64", env, role, len(role))
		}
		if len(n.StartQueue) > 80 || len(n.DeadLetterQueue) > 80 || len(n.ScheduleGroup) > 64 {
			t.Errorf("%s: names too long: %+v", env, n)
		}
	}
	if a, b := newSharedNames(long+"a").SchedulerRole, newSharedNames(long+"b").SchedulerRole; a == b {
		t.Errorf("two environments share the role name %s", a)
	}
	if got := newSharedNames("prod").SchedulerRole; got != "QlikReloads-prod-SchedulerRole-${AWS::Region}" {
		t.Errorf("role name of prod: %s", got)
	}
}

// TestWatcher pins the watcher: the same build as the reload function run
// as the watcher, its least-privilege role (the open index only, updates of
// items, the alarm topic only), and the schedule that runs it every minute
// with a role that may invoke it and nothing else.
func TestWatcher(t *testing.T) {
	ref := func(prefix string) interface{} {
		return map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^" + prefix))}
	}
	openIndex := map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{attArn("Ledger"), "/index/open"}}}
	statements := []interface{}{
		map[string]interface{}{"Sid": "ReadQlikCredential", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": ref("Credential")},
		map[string]interface{}{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": []interface{}{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": attArn("WatcherLogs")},
		map[string]interface{}{"Sid": "ReadOpenRuns", "Effect": "Allow", "Action": "dynamodb:Query", "Resource": openIndex},
		map[string]interface{}{"Sid": "RecordOutcomes", "Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": attArn("Ledger")},
		map[string]interface{}{"Sid": "AlertFailures", "Effect": "Allow", "Action": "sns:Publish", "Resource": ref("AlarmsTopic")},
	}
	cases := []struct {
		name       string
		change     func(*config.Config)
		statements []interface{}
	}{
		{name: "defaults", statements: statements},
		{name: "customer-managed key", change: func(c *config.Config) { c.KMSKeyArn = kmsKey; c.WatchReadsPerMinute = 50; c.MaxRunHours = 6 },
			statements: append(append([]interface{}{}, statements...),
				keyVia("DecryptQlikCredential", "secretsmanager", "kms:Decrypt"),
				keyVia("UseLedgerKey", "dynamodb", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
				keyVia("PublishToEncryptedTopic", "sns", "kms:GenerateDataKey", "kms:Decrypt"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tc.change)
			tmpl := coreTemplate(t, cfg)
			check(t, "watcher role", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), roleWith(
					map[string]interface{}{"Description": assertions.Match_StringLikeRegexp(jsii.String("^Reload watcher"))},
					"lambda.amazonaws.com", sourceAccount(nil), "ReloadWatcher", tc.statements))
			})
			check(t, "watcher function", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{
					"Runtime": "provided.al2023", "Architectures": []interface{}{"arm64"}, "Handler": "bootstrap", "Timeout": 60,
					"Environment": map[string]interface{}{"Variables": assertions.Match_ObjectEquals(&map[string]interface{}{
						"QLIK_MODE":                   "watcher",
						"QLIK_TENANT_URL":             tenant,
						"QLIK_API_KEY_SECRET_ID":      ref("Credential"),
						"QLIK_LEDGER_TABLE":           ref("Ledger"),
						"QLIK_ALARM_TOPIC_ARN":        ref("AlarmsTopic"),
						"QLIK_ENVIRONMENT":            "unit",
						"QLIK_WATCH_READS_PER_MINUTE": fmt.Sprint(cfg.WatchReadsPerMinute),
						"QLIK_MAX_RUN_HOURS":          fmt.Sprint(cfg.MaxRunHours),
						"QLIK_HISTORY_DAYS":           "90",
					})},
				})
				tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]interface{}{
					"FunctionName": ref("WatcherFunction"), "MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60,
				})
			})
			check(t, "watcher schedule", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]interface{}{
					"Name":               "QlikReloads-unit-Watcher",
					"GroupName":          assertions.Match_Absent(),
					"ScheduleExpression": "rate(1 minute)",
					"FlexibleTimeWindow": map[string]interface{}{"Mode": "OFF"},
					"Target": map[string]interface{}{
						"Arn":         attArn("WatcherFunction"),
						"RoleArn":     attArn("WatcherScheduleRole"),
						"Input":       `{"watch":"runs"}`,
						"RetryPolicy": map[string]interface{}{"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
					},
				})
				scheduleArn := map[string]interface{}{"Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/QlikReloads-unit-Watcher"}
				tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), roleWith(
					map[string]interface{}{"Description": assertions.Match_StringLikeRegexp(jsii.String("runs the reload watcher"))},
					"scheduler.amazonaws.com", sourceAccount(map[string]interface{}{"aws:SourceArn": scheduleArn}), "InvokeWatcher",
					[]interface{}{map[string]interface{}{"Sid": "InvokeWatcher", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": attArn("WatcherFunction")}}))
			})
		})
	}
}

// TestDashboard: one dashboard per environment, named for it, with the
// widgets an operator reads, and its console address as an output.
func TestDashboard(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(nil))
	check(t, "dashboard", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), map[string]interface{}{"DashboardName": "QlikReloads-unit"})
		tmpl.HasOutput(jsii.String("DashboardUrl"), map[string]interface{}{
			"Value": map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{
				"https://", map[string]interface{}{"Ref": "AWS::Region"}, ".console.aws.amazon.com/cloudwatch/home?region=",
				map[string]interface{}{"Ref": "AWS::Region"}, "#dashboards/dashboard/QlikReloads-unit",
			}}},
		})
	})
	// Only the dashboard's own resource is searched: the alarms name the
	// same metrics, and would hide a widget the dashboard lost.
	dashboards := *tmpl.FindResources(jsii.String("AWS::CloudWatch::Dashboard"), nil)
	if len(dashboards) != 1 {
		t.Fatalf("%d dashboards, want 1", len(dashboards))
	}
	body, err := json.Marshal(dashboards)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Runs per hour", "RunsSucceeded", "RunsFailed", "RunsCanceled", "ReloadsStarted",
		"StartLateness", "ApproximateAgeOfOldestMessage", "RunDuration", "p95", "RunsRateLimited", "WatchRateLimited",
		"Dead-letter queue depth", "alarms", "ReloadsFailed"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
}
