package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// templateValidation is the CDK's built-in CloudFormation template
// validation (schema, property values and the CDK's default rules, the
// `CloudFormation-Validate::` findings), run over every stack of the app
// except the schedules of the table's rows: the schedule stacks that hold
// rows are left out, and in the core stack, which holds a share of the rows
// too, every row's schedule but one.
//
// Those schedules are all AWS::Scheduler::Schedule resources made by
// NewSchedules, the same function that makes the one left in the core stack;
// what differs from one to the next is the row's values, and the config
// already checks each against Scheduler's limits (expression syntax, time
// zone, description length, window). The validator costs a millisecond or
// two per resource: with 20,000 rows, more than half of the whole synth,
// spent checking one shape of resource 20,000 times. The test package keeps
// a test that runs the full validation over a sharded table, so that a
// change of NewSchedules that only some schedules would show cannot slip
// through.
//
// One instance serves every app of the process, as the CDK's own built-in
// instance does: the validator's engine takes a second to start and is kept
// between synths, which matters to the tests, which synthesize many apps in
// one process. It tells the apps' stacks apart by their template files.
type templateValidation struct {
	awscdk.CloudFormationValidatePlugin
	mu sync.Mutex
	// skip holds the absolute template paths of the stacks left out.
	skip map[string]bool
	// rows maps the absolute template path of a validated stack to the
	// path prefix of its row schedules, all of which but one are left out.
	rows map[string]string
}

// sharedValidation returns the process's one templateValidation.
var sharedValidation = sync.OnceValue(func() *templateValidation {
	v := &templateValidation{skip: map[string]bool{}, rows: map[string]string{}}
	awscdk.NewCloudFormationValidatePlugin_Override(v, nil)
	return v
})

// validateAllStacks is the context key that turns the validation of every
// schedule back on, for tests and for anyone who wants the full check
// whatever it costs: `cdk synth -c validateAllStacks=true`.
const validateAllStacks = "validateAllStacks"

// narrowTemplateValidation registers the CDK's template validation on the
// app (the only scope it may be registered on), leaving out the stacks in
// skipped, and the row schedules under coreRows (NewSchedules's construct in
// the core stack) but one.
// Registering it replaces the built-in instance, which would validate
// everything; the rules, severities and acknowledgements stay the same. It
// does nothing when scope is not an app or when the context sets
// validateAllStacks. The caller leaves it out when
// the user turned the validation off: the CDK honours that only for its
// built-in instance, and a registered one would run anyway.
func narrowTemplateValidation(scope constructs.Construct, skipped []awscdk.Stack, coreRows constructs.Construct) {
	if !*awscdk.App_IsApp(scope) || isTrue(scope.Node().TryGetContext(jsii.String(validateAllStacks))) {
		return
	}
	v := sharedValidation()
	v.mu.Lock()
	// What an earlier app of the process wrote to the same directory no
	// longer holds.
	if app, ok := scope.(awscdk.Stage); ok {
		outdir := absolute(*app.Outdir()) + string(filepath.Separator)
		for path := range v.skip {
			if strings.HasPrefix(path, outdir) {
				delete(v.skip, path)
			}
		}
		for path := range v.rows {
			if strings.HasPrefix(path, outdir) {
				delete(v.rows, path)
			}
		}
	}
	for _, s := range skipped {
		v.skip[templatePath(s)] = true
	}
	v.rows[templatePath(awscdk.Stack_Of(coreRows))] = *coreRows.Node().Path() + "/"
	v.mu.Unlock()
	awscdk.Validations_Of(scope).AddPlugins(v)
}

// templatePath returns the absolute path the stack's template is written to.
func templatePath(s awscdk.Stack) string {
	return absolute(filepath.Join(*awscdk.Stage_Of(s).Outdir(), *s.TemplateFile()))
}

// absolute returns path made absolute, or as it is when that fails.
func absolute(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// Validate runs the CDK's validation over the stacks not skipped, with the
// row schedules trimmed from their templates.
func (v *templateValidation) Validate(ctx awscdk.IPolicyValidationContext) *awscdk.PolicyValidationPluginReport {
	kept := &validationContext{app: ctx.AppConstruct(), account: ctx.AccountId(), region: ctx.Region()}
	// Without a place for the copies, or should a template not read as
	// one, the stack is validated from its own template: all of it, only
	// slower.
	dir, err := os.MkdirTemp("", "qlik-reload-validation-")
	if err == nil {
		defer os.RemoveAll(dir)
	}
	for _, s := range *ctx.StackTemplates() {
		path := absolute(*s.TemplatePath)
		v.mu.Lock()
		skip, prefix := v.skip[path], v.rows[path]
		v.mu.Unlock()
		if skip {
			continue
		}
		if prefix != "" && dir != "" {
			if trimmed, err := trimRowSchedules(*s.TemplatePath, prefix, dir); err == nil {
				copied := *s
				copied.TemplatePath = &trimmed
				s = &copied
			}
		}
		kept.stacks = append(kept.stacks, s)
		kept.paths = append(kept.paths, s.TemplatePath)
	}
	// Called from Go, the method runs the CDK's own implementation.
	return v.CloudFormationValidatePlugin.Validate(kept)
}

// trimRowSchedules writes into dir a copy of the template at path without
// the schedules whose construct path (the aws:cdk:path metadata) starts with
// prefix, except the first of them by logical ID, and returns the copy's
// path. The validator reads only the template, and reports by logical ID,
// which the copy keeps. A template without such schedules, or without path
// metadata, is returned as it is, and validated whole.
func trimRowSchedules(path, prefix, dir string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var template map[string]json.RawMessage
	if err := json.Unmarshal(raw, &template); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	var resources map[string]json.RawMessage
	if err := json.Unmarshal(template["Resources"], &resources); err != nil {
		return "", fmt.Errorf("read the resources of %s: %w", path, err)
	}
	var rows []string
	for id, body := range resources {
		var r struct {
			Type     string
			Metadata struct {
				Path string `json:"aws:cdk:path"`
			}
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return "", fmt.Errorf("read resource %s of %s: %w", id, path, err)
		}
		if r.Type == "AWS::Scheduler::Schedule" && strings.HasPrefix(r.Metadata.Path, prefix) {
			rows = append(rows, id)
		}
	}
	if len(rows) < 2 {
		return path, nil
	}
	sort.Strings(rows)
	for _, id := range rows[1:] {
		delete(resources, id)
	}
	if template["Resources"], err = json.Marshal(resources); err != nil {
		return "", err
	}
	if raw, err = json.Marshal(template); err != nil {
		return "", err
	}
	trimmed := filepath.Join(dir, filepath.Base(path))
	return trimmed, os.WriteFile(trimmed, raw, 0o644)
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
