package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// Props configures an environment.
type Props struct {
	// ModuleDir is the Go module root (the directory holding go.mod) the
	// reload function is built from.
	ModuleDir string
	// Build, when not nil, is a build of the function started early (see
	// StartFunctionBuild); without it the function is built when the synth
	// needs it.
	Build *FunctionBuild
	// NoTemplateValidation says the user turned the CDK's template
	// validation off (CDK_VALIDATION=false, which `cdk synth
	// --no-validation` sets); see narrowTemplateValidation.
	NoTemplateValidation bool
}

// Environment is one environment's stacks.
type Environment struct {
	// Core holds the shared resources and the schedules of stack index 0.
	Core *Core
	// Schedules holds the stacks of the schedules of indexes 1 and up, in
	// index order, up to the high-water mark; it is empty when the config
	// sets one schedule stack and no higher mark.
	Schedules []awscdk.Stack
}

// StackName is the CloudFormation name of an environment's stack by index:
// index 0 is the core stack, which also holds the schedules that hash to 0.
func StackName(environment string, index int) string {
	if index == 0 {
		return assembly.CoreStackName(environment)
	}
	return fmt.Sprintf("QlikReloads-%s-schedules-%d", environment, index)
}

// NewEnvironment adds an environment's stacks to scope.
//
// Each row goes to the stack config.StackIndex picks from its name alone, so
// adding, removing or reordering rows never moves another row. A schedule
// stack that holds no rows is still synthesized, with no resources: the CDK
// CLI then deletes it if it was deployed, instead of leaving its old
// schedules running. So are the stacks from scheduleStacks up to the
// high-water mark, which a lower scheduleStacks has emptied: a stack left
// out of the assembly would stay deployed, its schedules firing beside their
// moved copies.
func NewEnvironment(scope constructs.Construct, cfg *config.Config, props Props) *Environment {
	stackProps := func(index int) awscdk.StackProps {
		sp := awscdk.StackProps{
			StackName:   jsii.String(StackName(cfg.Name, index)),
			Description: jsii.String(fmt.Sprintf("Qlik Cloud reload triggers, environment %s", cfg.Name)),
			// Stack tags reach every resource that supports tags through
			// CloudFormation, without an aspect visiting each schedule.
			Tags: &map[string]*string{"qlik-reload-triggers:environment": jsii.String(cfg.Name)},
		}
		if cfg.Account != "" {
			sp.Env = &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
		}
		return sp
	}

	rows := make([][]config.Reload, cfg.ScheduleStacks)
	for _, row := range cfg.Reloads {
		// Only rows with a schedule have one; chains and events start
		// otherwise.
		if row.Schedule == "" {
			continue
		}
		i := config.StackIndex(row.Name, cfg.ScheduleStacks)
		rows[i] = append(rows[i], row)
	}

	core := NewCore(scope, StackName(cfg.Name, 0), &CoreProps{
		StackProps: stackProps(0),
		Config:     cfg,
		ModuleDir:  props.ModuleDir,
		Build:      props.Build,
	})
	coreRows := NewSchedules(core.Stack, "Schedules", &SchedulesProps{Target: core.Target, Rows: rows[0]})

	env := &Environment{Core: core}
	imported := namedTarget(cfg.Name)
	var scheduled []awscdk.Stack
	for i := 1; i < max(cfg.ScheduleStacks, cfg.ScheduleStacksHighWater); i++ {
		sp := stackProps(i)
		stack := awscdk.NewStack(scope, jsii.String(StackName(cfg.Name, i)), &sp)
		// Deploy after the core stack, whose queue and role the schedules use, and
		// destroy before it.
		stack.AddStackDependency(core.Stack, jsii.String("its schedules send to the core stack's start queue"))
		if i < len(rows) && len(rows[i]) > 0 {
			NewSchedules(stack, "Schedules", &SchedulesProps{Target: imported, Rows: rows[i]})
			scheduled = append(scheduled, stack)
		} else {
			awscdk.Validations_Of(stack).Acknowledge(&awscdk.Acknowledgment{
				Id:     jsii.String("CloudFormation-Validate::F0001"),
				Reason: jsii.String("A schedule stack with no rows is empty on purpose: the CDK CLI deletes it on deploy, with the schedules it held."),
			})
		}
		env.Schedules = append(env.Schedules, stack)
	}
	if !props.NoTemplateValidation {
		narrowTemplateValidation(scope, scheduled, coreRows)
	}
	return env
}
