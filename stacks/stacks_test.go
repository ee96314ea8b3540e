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
		Name:             "unit",
		Path:             "config/unit.yaml",
		TenantURL:        tenant,
		Timezone:         "Europe/Stockholm",
		ScheduleStacks:   1,
		LogRetentionDays: 90,
		WaitSeconds:      5,
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

func TestFunction(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(nil))
	check(t, "function", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{
			"Runtime":       "provided.al2023",
			"Architectures": []interface{}{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    256,
			"Timeout":       120,
			"Environment": map[string]interface{}{"Variables": assertions.Match_ObjectEquals(&map[string]interface{}{
				"QLIK_TENANT_URL":        tenant,
				"QLIK_API_KEY_SECRET_ID": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Credential"))},
				"QLIK_WAIT_TIMEOUT":      "5s",
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
	arn := func(prefix string) interface{} {
		return map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^" + prefix)), "Arn"}}
	}
	statements := []interface{}{
		map[string]interface{}{"Sid": "ReadQlikCredential", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": ref("Credential")},
		map[string]interface{}{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": []interface{}{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": arn("ReloadLogs")},
		map[string]interface{}{"Sid": "SendFailedEvents", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn("DeadLetterQueue")},
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
				statements[1], statements[2],
				viaService("DecryptQlikCredential", "secretsmanager", "kms:Decrypt"),
				viaService("EncryptFailedEvents", "sqs", []interface{}{"kms:GenerateDataKey", "kms:Decrypt"}),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := coreTemplate(t, testConfig(tc.change))
			check(t, "function role", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), assertions.Match_ObjectEquals(&map[string]interface{}{
					"Description": assertions.Match_StringLikeRegexp(jsii.String("^Reload function")),
					"AssumeRolePolicyDocument": map[string]interface{}{
						"Version": "2012-10-17",
						"Statement": []interface{}{map[string]interface{}{
							"Effect": "Allow", "Action": "sts:AssumeRole",
							"Principal": map[string]interface{}{"Service": "lambda.amazonaws.com"},
							"Condition": sourceAccount(nil),
						}},
					},
					"Policies": []interface{}{map[string]interface{}{
						"PolicyName": "ReloadFunction",
						"PolicyDocument": map[string]interface{}{
							"Version":   "2012-10-17",
							"Statement": assertions.Match_ArrayEquals(&tc.statements),
						},
					}},
				}))
			})
		})
	}
}

func TestSchedulerRoleIsLeastPrivilege(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(nil))
	check(t, "scheduler role", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"Description": assertions.Match_StringLikeRegexp(jsii.String("^EventBridge Scheduler")),
			"AssumeRolePolicyDocument": map[string]interface{}{
				"Version": "2012-10-17",
				"Statement": []interface{}{map[string]interface{}{
					"Effect": "Allow", "Action": "sts:AssumeRole",
					"Principal": map[string]interface{}{"Service": "scheduler.amazonaws.com"},
					"Condition": sourceAccount(map[string]interface{}{
						"aws:SourceArn": map[string]interface{}{"Fn::GetAtt": []interface{}{"ScheduleGroup", "Arn"}},
					}),
				}},
			},
			"Policies": []interface{}{map[string]interface{}{
				"PolicyName": "InvokeReloadFunction",
				"PolicyDocument": map[string]interface{}{
					"Version": "2012-10-17",
					"Statement": []interface{}{
						map[string]interface{}{"Sid": "InvokeReloadFunction", "Effect": "Allow", "Action": "lambda:InvokeFunction",
							"Resource": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^ReloadFunction")), "Arn"}}},
						map[string]interface{}{"Sid": "SendUndeliverableEvents", "Effect": "Allow", "Action": "sqs:SendMessage",
							"Resource": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^DeadLetterQueue")), "Arn"}}},
					},
				},
			}},
		}))
	})
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

func TestDeadLetterQueue(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(nil))
	check(t, "queue", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]interface{}{
			"SqsManagedSseEnabled":   true,
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"FifoQueue":              assertions.Match_Absent(),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]interface{}{
			"PolicyDocument": map[string]interface{}{"Statement": []interface{}{map[string]interface{}{
				"Effect":    "Deny",
				"Action":    "sqs:*",
				"Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
				"Principal": map[string]interface{}{"AWS": "*"},
				"Resource":  assertions.Match_AnyValue(),
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
				tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(3))
				for _, a := range []struct {
					namespace, metric, statistic string
					periods                      int
				}{
					{"AWS/Lambda", "Errors", "Sum", 1},
					{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 1},
					{"AWS/Lambda", "Throttles", "Sum", 3},
				} {
					tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]interface{}{
						"Namespace": a.namespace, "MetricName": a.metric, "Statistic": a.statistic,
						"Threshold": 1, "EvaluationPeriods": a.periods, "Period": 300,
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
			"Arn":     map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^ReloadFunction")), "Arn"}},
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
		tmpl.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(2))
		tmpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"GroupName":                  map[string]interface{}{"Ref": "ScheduleGroup"},
			"ScheduleExpression":         "cron(0/5 8-17 ? * MON-FRI *)",
			"ScheduleExpressionTimezone": "Europe/Stockholm",
			"State":                      "ENABLED",
			"FlexibleTimeWindow":         map[string]interface{}{"Mode": "OFF"},
			"Target":                     target(`{"appId":"` + appID + `"}`),
		}))
		tmpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"GroupName":                  map[string]interface{}{"Ref": "ScheduleGroup"},
			"ScheduleExpression":         "cron(0 9 ? * SAT,SUN *)",
			"ScheduleExpressionTimezone": "America/New_York",
			"State":                      "DISABLED",
			"Description":                "paused for the migration",
			"FlexibleTimeWindow":         map[string]interface{}{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
			"Target":                     target(`{"appId":"` + appID + `","partial":true,"weight":5,"variables":{"vRegion":"EMEA"}}`),
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
// read its values through stack outputs rather than exports, and that a
// stack left with no rows has no resources (so the CDK CLI deletes it).
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
		check(t, fmt.Sprintf("stack %d", i), func() {
			tmpl.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(float64(want[i])))
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
		if want[i] > 0 && !strings.Contains(string(raw), "Fn::GetStackOutput") {
			t.Errorf("stack %d does not read the core stack's outputs", i)
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
