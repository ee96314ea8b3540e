package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// eventConfig is an environment with a schedule, a chain and two event
// rows, one of them disabled and with its own lateness bound.
func eventConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("config/unit.yaml", []byte(`tenantUrl: https://acme.eu.qlikcloud.com
reloads:
  - name: extract
    appId: `+appID+`
    schedule: cron(0 6 * * ? *)
  - name: transform
    appId: `+appID+`
    after: extract
  - name: stock-files
    appId: `+appID+`
    on: {s3: {bucket: acme-exports, prefix: stock/, suffix: .csv}}
    debounceMinutes: 10
  - name: glue-done
    appId: `+appID+`
    enabled: false
    maxDelayMinutes: 30
    description: After the sales export job
    on:
      eventPattern:
        source: [aws.glue]
        detail: {state: [SUCCEEDED], attempt: [{numeric: [">", 0]}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestEventRules: each on row is a rule on the default bus whose target is
// the start queue, with the input transformer that makes the row's
// message; both queues accept messages from exactly these rules; a chain
// creates no schedule and no rule.
func TestEventRules(t *testing.T) {
	tmpl := coreTemplate(t, eventConfig(t))
	queueArn := attArn("StartQueue")
	dlqArn := attArn("DeadLetterQueue")
	target := func(template string, maxAge int) []interface{} {
		return []interface{}{map[string]interface{}{
			"Id":  "StartQueue",
			"Arn": queueArn,
			"InputTransformer": map[string]interface{}{
				"InputPathsMap": map[string]interface{}{"time": "$.time"},
				"InputTemplate": template,
			},
			"RetryPolicy":      map[string]interface{}{"MaximumEventAgeInSeconds": maxAge},
			"DeadLetterConfig": map[string]interface{}{"Arn": dlqArn},
		}}
	}
	allowRules := func(queue interface{}) map[string]interface{} {
		return map[string]interface{}{
			"Sid":       "SendFromEventRules",
			"Effect":    "Allow",
			"Principal": map[string]interface{}{"Service": "events.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  queue,
			"Condition": map[string]interface{}{"ArnEquals": map[string]interface{}{
				"aws:SourceArn": []interface{}{attArn("Eventsgluedone"), attArn("Eventsstockfiles")},
			}},
		}
	}
	check(t, "event rules", func() {
		// The extract's schedule and the watcher's; the chain has none.
		tmpl.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(2))
		tmpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(2))
		tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"Name":        "QlikReloads-unit-stock-files",
			"Description": "Starts the Qlik reload of row stock-files on: object created in s3://acme-exports/stock/*.csv",
			"State":       "ENABLED",
			"EventPattern": map[string]interface{}{
				"source":      []interface{}{"aws.s3"},
				"detail-type": []interface{}{"Object Created"},
				"detail": map[string]interface{}{
					"bucket": map[string]interface{}{"name": []interface{}{"acme-exports"}},
					"object": map[string]interface{}{"key": []interface{}{map[string]interface{}{"wildcard": "stock/*.csv"}}},
				},
			},
			"Targets": target(`{"appId":"`+appID+`","row":"stock-files","scheduledTime":<time>,"debounceMinutes":10}`, 3600),
		}))
		tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectEquals(&map[string]interface{}{
			"Name":        "QlikReloads-unit-glue-done",
			"Description": "After the sales export job",
			"State":       "DISABLED",
			"EventPattern": map[string]interface{}{
				"source": []interface{}{"aws.glue"},
				"detail": map[string]interface{}{
					"state":   []interface{}{"SUCCEEDED"},
					"attempt": []interface{}{map[string]interface{}{"numeric": []interface{}{">", 0}}},
				},
			},
			"Targets": target(`{"appId":"`+appID+`","row":"glue-done","scheduledTime":<time>,"maxDelayMinutes":30,"debounceMinutes":5}`, 1800),
		}))
		// The watcher starts the chain's rows: it finds the graph in its
		// code, reads a chain's state and sends to the start queue.
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{
			"Environment": map[string]interface{}{"Variables": assertions.Match_ObjectLike(&map[string]interface{}{
				"QLIK_MODE": "watcher", "QLIK_CHAINS_FILE": "chains.json", "QLIK_START_QUEUE_URL": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^StartQueue"))},
			})},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]interface{}{
			"Policies": []interface{}{map[string]interface{}{"PolicyName": "ReloadWatcher", "PolicyDocument": map[string]interface{}{
				"Statement": assertions.Match_ArrayWith(&[]interface{}{
					map[string]interface{}{"Sid": "ReadChainState", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": attArn("Ledger")},
					map[string]interface{}{"Sid": "StartChainedRows", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queueArn},
				}),
			}}},
		})
		for _, queue := range []interface{}{queueArn, dlqArn} {
			tmpl.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]interface{}{
				"PolicyDocument": map[string]interface{}{"Statement": assertions.Match_ArrayWith(&[]interface{}{allowRules(queue)})},
			})
		}
	})
}

// TestQueuePolicyFitsSQS: with the most rows with on an environment may
// hold, each with the longest rule name, the start queue's policy, with
// every ARN as long as AWS makes them, stays within SQS's 8,192 bytes.
func TestQueuePolicyFitsSQS(t *testing.T) {
	const (
		sqsPolicyLimit = 8192
		// The longest partition, region and an account.
		arnPrefix = "arn:aws-us-gov:%s:us-gov-west-1:123456789012:"
	)
	env := strings.Repeat("e", 40)
	var b strings.Builder
	b.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\nreloads:\n")
	for i := range config.MaxEventRows {
		fmt.Fprintf(&b, "  - name: %s-%02d\n    appId: %s\n    on: {s3: {bucket: acme-exports}}\n", strings.Repeat("r", 61), i, appID)
	}
	cfg, err := config.Load("config/"+env+".yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *assertions.Template_FromStack(newEnvironment(t, cfg).Core.Stack, nil).ToJSON()
	resources := tmpl["Resources"].(map[string]interface{})
	// Resolve each ARN the way AWS will: the rules and the queue have
	// fixed names.
	arnOf := map[string]string{}
	for id, r := range resources {
		res := r.(map[string]interface{})
		props, _ := res["Properties"].(map[string]interface{})
		switch res["Type"] {
		case "AWS::Events::Rule":
			arnOf[id] = fmt.Sprintf(arnPrefix, "events") + "rule/" + props["Name"].(string)
		case "AWS::SQS::Queue":
			arnOf[id] = fmt.Sprintf(arnPrefix, "sqs") + props["QueueName"].(string)
		}
	}
	var resolve func(v interface{}) interface{}
	resolve = func(v interface{}) interface{} {
		switch x := v.(type) {
		case map[string]interface{}:
			if att, ok := x["Fn::GetAtt"].([]interface{}); ok {
				return arnOf[att[0].(string)]
			}
			out := map[string]interface{}{}
			for k, e := range x {
				out[k] = resolve(e)
			}
			return out
		case []interface{}:
			out := make([]interface{}, len(x))
			for i, e := range x {
				out[i] = resolve(e)
			}
			return out
		}
		return v
	}
	policies := 0
	for id, r := range resources {
		res := r.(map[string]interface{})
		if res["Type"] != "AWS::SQS::QueuePolicy" {
			continue
		}
		policies++
		doc, err := json.Marshal(resolve(res["Properties"].(map[string]interface{})["PolicyDocument"]))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(doc), "Fn::") || strings.Count(string(doc), ":rule/") != config.MaxEventRows {
			t.Fatalf("%s: the policy is not fully resolved, or does not name every rule: %s", id, doc)
		}
		t.Logf("%s: %d bytes for %d rules", id, len(doc), config.MaxEventRows)
		if len(doc) > sqsPolicyLimit {
			t.Errorf("%s: the policy is %d bytes; SQS accepts %d", id, len(doc), sqsPolicyLimit)
		}
	}
	if policies != 2 {
		t.Errorf("%d queue policies, want 2", policies)
	}
}

// TestChainFiles: the function's code carries the enabled chains, each
// with the message the chain sends, in the form the function reads; an
// environment without chains bundles nothing.
func TestChainFiles(t *testing.T) {
	files, err := chainFiles(eventConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	g, err := chain.Parse(files[chain.FileName])
	if err != nil {
		t.Fatal(err)
	}
	want := []chain.Row{{Name: "transform", After: []string{"extract"},
		Message: `{"appId":"` + appID + `","row":"transform","scheduledTime":"` + chain.TimePlaceholder + `"}`}}
	if diff := cmp.Diff(g.Rows(), want); diff != "" {
		t.Errorf("chains (-got +want):\n%s", diff)
	}
	if config.ScheduledTimePlaceholder != chain.TimePlaceholder {
		t.Errorf("the config's placeholder %q is not the one the chain replaces, %q", config.ScheduledTimePlaceholder, chain.TimePlaceholder)
	}
	none, err := chainFiles(testConfig(nil))
	if err != nil || none != nil {
		t.Errorf("without chains: files %v, error %v; want none", none, err)
	}
}

// TestBundleWritesCodeFiles: the bundler puts the chain graph beside the
// binary, in the directory that becomes the function's code.
func TestBundleWritesCodeFiles(t *testing.T) {
	built := t.TempDir()
	if err := os.WriteFile(filepath.Join(built, "bootstrap"), []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	close(done)
	graph := []byte(`{"rows":[]}` + "\n")
	b := &goBundler{early: &FunctionBuild{dir: built, done: done}, files: map[string][]byte{chain.FileName: graph}}
	out := t.TempDir()
	if ok := b.TryBundle(jsii.String(out), nil); !*ok {
		t.Fatal("TryBundle failed")
	}
	for name, want := range map[string]string{"bootstrap": "binary", chain.FileName: string(graph)} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
}
