package stacks

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// maxRuleName is EventBridge's limit on a rule's name.
const maxRuleName = 64

// EventRulesProps configures the rules of an environment's rows with on.
type EventRulesProps struct {
	// Environment is the environment's name; it prefixes the rules' names.
	Environment string
	// Rows are the rows with on; other rows are ignored.
	Rows []config.Reload
	// MaxDelayMinutes is the file's lateness bound, for rows that set none.
	MaxDelayMinutes int
	// StartQueue receives each matched event as the row's message.
	StartQueue awssqs.IQueue
	// DeadLetterQueue receives the events EventBridge could not deliver.
	DeadLetterQueue awssqs.IQueue
}

// NewEventRules adds one EventBridge rule on the default event bus per row
// with on, with the row's name as its construct ID. Each rule's target is
// the start queue, with an input transformer that makes the row's message
// with scheduledTime set to the event's time (see config.Reload.EventInput).
// Both queues' policies then let EventBridge send from these rules' ARNs
// only, in one statement each: SQS limits a policy to 20 statements.
//
// It returns nil, and changes no policy, when no row has on.
func NewEventRules(scope constructs.Construct, id string, props *EventRulesProps) constructs.Construct {
	var rows []config.Reload
	for _, r := range props.Rows {
		if r.On != nil {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	// Resources in name order, whatever the order of the file.
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })

	c := constructs.NewConstruct(scope, jsii.String(id))
	arns := make([]*string, 0, len(rows))
	for _, r := range rows {
		var pattern map[string]interface{}
		// Load checked the pattern and wrote it as JSON; plain numbers
		// (float64) travel to the template as numbers.
		if err := json.Unmarshal([]byte(r.On.EventPattern), &pattern); err != nil {
			awscdk.Annotations_Of(c).AddError(jsii.String(fmt.Sprintf("row %s: its event pattern does not decode: %v", r.Name, err)))
			continue
		}
		maxDelay := r.MaxDelayMinutes
		if maxDelay == 0 {
			maxDelay = props.MaxDelayMinutes
		}
		rule := awsevents.NewCfnRule(c, jsii.String(r.Name), &awsevents.CfnRuleProps{
			Name:         jsii.String(shorten(StackName(props.Environment, 0)+"-"+r.Name, maxRuleName)),
			Description:  jsii.String(ruleDescription(r)),
			EventPattern: pattern,
			State:        jsii.String(scheduleState(r.Enabled)),
			Targets: &[]interface{}{&awsevents.CfnRule_TargetProperty{
				Id:  jsii.String("StartQueue"),
				Arn: props.StartQueue.QueueArn(),
				InputTransformer: &awsevents.CfnRule_InputTransformerProperty{
					InputPathsMap: &map[string]*string{"time": jsii.String("$.time")},
					InputTemplate: jsii.String(r.EventInput()),
				},
				// EventBridge retries a failed delivery until the run would
				// be too late to start anyway, then dead-letters the event.
				RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
					MaximumEventAgeInSeconds: jsii.Number(maxDelay * 60),
				},
				DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: props.DeadLetterQueue.QueueArn()},
			}},
		})
		arns = append(arns, rule.AttrArn())
	}
	for _, q := range []awssqs.IQueue{props.StartQueue, props.DeadLetterQueue} {
		q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("SendFromEventRules"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
			Actions:    jsii.Strings("sqs:SendMessage"),
			Resources:  jsii.Strings(*q.QueueArn()),
			Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": arns}},
		}))
	}
	return c
}

// ruleDescription is the row's description, or what the rule is for.
func ruleDescription(r config.Reload) string {
	if r.Description != "" {
		return r.Description
	}
	return fmt.Sprintf("Starts the Qlik reload of row %s on: %s", r.Name, r.On.Describe())
}
