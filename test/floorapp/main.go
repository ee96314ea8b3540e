// Command floorapp is the smallest Go CDK app of this project's shape: one
// stack holding one EventBridge Scheduler schedule. The synth benchmarks
// measure the real app against it, because starting jsii and Node.js
// dominates a small synth and no Go CDK app can synthesize faster.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Floor"), nil)
	awsscheduler.NewCfnSchedule(stack, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
		ScheduleExpression: jsii.String("cron(0 8 ? * MON-FRI *)"),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     jsii.String("arn:aws:lambda:eu-west-1:123456789012:function:reload"),
			RoleArn: jsii.String("arn:aws:iam::123456789012:role/scheduler"),
			Input:   jsii.String(`{"appId":"687ef393-f0ad-4c64-ac59-6db967126015"}`),
		},
	})
	app.Synth(nil)
}
