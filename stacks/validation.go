package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// templateValidation is the CDK's built-in CloudFormation template
// validation (schema, property values and the CDK's default rules, the
// `CloudFormation-Validate::` findings), run over every stack of the app
// except the schedule stacks that hold rows.
//
// Those stacks hold only AWS::Scheduler::Schedule resources made by
// NewSchedules, the same function that makes the core stack's schedules,
// which stay validated; what differs from one schedule to the next is the
// row's values, and the config already checks each against Scheduler's
// limits (expression syntax, time zone, description length, window). The
// validator costs about half a millisecond per resource: with 20,000 rows,
// half of the whole synth, spent checking one shape of resource 20,000 times.
// The test package keeps a test that runs the full validation over a sharded
// table, so that a change of NewSchedules that only the schedule stacks
// would show cannot slip through.
type templateValidation struct {
	awscdk.CloudFormationValidatePlugin
	// skip holds the construct paths of the stacks left out.
	skip map[string]bool
}

// validateAllStacks is the context key that turns the validation of the
// schedule stacks back on, for tests and for anyone who wants the full check
// whatever it costs: `cdk synth -c validateAllStacks=true`.
const validateAllStacks = "validateAllStacks"

// skipScheduleStackValidation registers the CDK's template validation on
// the app (the only scope it may be registered on), leaving out the stacks
// given. Registering it replaces the built-in instance, which would validate
// every stack; the rules, severities and acknowledgements stay the same.
// It does nothing when scope is not an app, when no stack is given, or when
// the context sets validateAllStacks. The caller leaves it out when the user
// turned the validation off: the CDK honours that only for its built-in
// instance, and a registered one would run anyway.
func skipScheduleStackValidation(scope constructs.Construct, stacks []awscdk.Stack) {
	if len(stacks) == 0 || !*awscdk.App_IsApp(scope) || isTrue(scope.Node().TryGetContext(jsii.String(validateAllStacks))) {
		return
	}
	v := &templateValidation{skip: map[string]bool{}}
	for _, s := range stacks {
		v.skip[*s.Node().Path()] = true
	}
	awscdk.NewCloudFormationValidatePlugin_Override(v, nil)
	awscdk.Validations_Of(scope).AddPlugins(v)
}

// Validate runs the CDK's validation over the stacks not skipped.
func (v *templateValidation) Validate(ctx awscdk.IPolicyValidationContext) *awscdk.PolicyValidationPluginReport {
	kept := &validationContext{app: ctx.AppConstruct(), account: ctx.AccountId(), region: ctx.Region()}
	for _, s := range *ctx.StackTemplates() {
		if !v.skip[*s.StackConstructPath] {
			kept.stacks = append(kept.stacks, s)
			kept.paths = append(kept.paths, s.TemplatePath)
		}
	}
	// Called from Go, the method runs the CDK's own implementation.
	return v.CloudFormationValidatePlugin.Validate(kept)
}

// validationContext is the context of a validation, narrowed to the stacks
// kept.
type validationContext struct {
	app             constructs.IConstruct
	account, region *string
	stacks          []*awscdk.PolicyValidationStack
	paths           []*string
}

func (c *validationContext) AccountId() *string                  { return c.account }
func (c *validationContext) AppConstruct() constructs.IConstruct { return c.app }
func (c *validationContext) Region() *string                     { return c.region }
func (c *validationContext) StackTemplates() *[]*awscdk.PolicyValidationStack {
	return &c.stacks
}
func (c *validationContext) TemplatePaths() *[]*string { return &c.paths }

// isTrue reads a boolean context value, given as true or as "true" with -c.
func isTrue(v interface{}) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}
