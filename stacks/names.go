package stacks

import (
	"fmt"
	"hash/fnv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// The construct IDs of the core stack's resources that every schedule
// refers to. Each is also part of its resource's physical name (see
// sharedNames), so that a new logical ID always comes with a new name.
const (
	startQueueID      = "StartQueue"
	deadLetterQueueID = "DeadLetterQueue"
	schedulerRoleID   = "SchedulerRole"
	scheduleGroupID   = "ScheduleGroup"
)

// sharedNames are the physical names of the core stack's resources that
// the schedules refer to, derived from the environment's name alone.
//
// The schedule stacks refer to these resources by name, built with Fn::Sub
// from the account and region they deploy to, never by reading the core
// stack's outputs. An output is read only when the reading stack is created
// or updated, and the CDK CLI skips stacks whose template did not change:
// had the core stack replaced its queue or role, the other schedule stacks
// would keep sending to the old ARNs. With fixed names, replacing one of
// these resources means renaming it (CloudFormation refuses to replace a
// resource with a custom name in place, and a changed construct ID changes
// the name), and a new name is a change of every schedule stack's template,
// which the CLI then deploys.
type sharedNames struct {
	// StartQueue and DeadLetterQueue are queue names, unique per account
	// and region.
	StartQueue, DeadLetterQueue string
	// SchedulerRole is the role's name, an Fn::Sub template: IAM names are
	// unique per account, so it holds the region.
	SchedulerRole string
	// ScheduleGroup is the schedule group's name, unique per account and
	// region.
	ScheduleGroup string
}

// maxRoleEnvironment is how much of the environment's name a role name
// keeps: IAM allows 64 characters, and "QlikReloads-", "-SchedulerRole-"
// and a region of up to 15 characters leave 22.
const maxRoleEnvironment = 22

func newSharedNames(environment string) sharedNames {
	prefix := StackName(environment, 0)
	return sharedNames{
		StartQueue:      prefix + "-" + startQueueID,
		DeadLetterQueue: prefix + "-" + deadLetterQueueID,
		SchedulerRole:   fmt.Sprintf("QlikReloads-%s-%s-${AWS::Region}", shorten(environment, maxRoleEnvironment), schedulerRoleID),
		ScheduleGroup:   prefix,
	}
}

// shorten returns s when it fits in n characters, else its first
// characters and a hash of the whole, so that two long names that share
// a beginning still differ.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	suffix := fmt.Sprintf("-%06x", h.Sum32()&0xffffff)
	return s[:n-len(suffix)] + suffix
}

// queueArnByName is the ARN of the queue with that name in the stack's own
// account, region and partition.
func queueArnByName(name string) *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"+name), nil)
}

// namedTarget is the target as a schedule stack sees it: ARNs built from
// the shared names and the stack's own account, region and partition.
func namedTarget(environment string) ScheduleTarget {
	names := newSharedNames(environment)
	return ScheduleTarget{
		QueueArn:           queueArnByName(names.StartQueue),
		RoleArn:            awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"+names.SchedulerRole), nil),
		DeadLetterQueueArn: queueArnByName(names.DeadLetterQueue),
		GroupName:          jsii.String(names.ScheduleGroup),
	}
}
