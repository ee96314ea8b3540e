package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// networkInterfaceStatements are the permissions Lambda needs, with the
// function's role, to attach the function to the VPC's subnets: those of
// AWS's AWSLambdaVPCAccessExecutionRole, each as narrow as EC2 allows.
//
//   - Creating an interface names the interface, the subnet and the
//     security groups as resources: only the configured subnets and groups.
//   - Deleting an interface and assigning or releasing its addresses name
//     only the interface, whose ID is not known before Lambda creates it:
//     interfaces of this account and region.
//   - EC2's Describe actions take no resource at all ("*"); they are held
//     to this region.
func networkInterfaceStatements(stack awscdk.Stack, vpc *config.VPC) []awsiam.PolicyStatement {
	arn := func(resource, name string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ec2"), Resource: jsii.String(resource), ResourceName: jsii.String(name)})
	}
	create := []string{arn("network-interface", "*")}
	for _, id := range vpc.SubnetIDs {
		create = append(create, arn("subnet", id))
	}
	for _, id := range vpc.SecurityGroupIDs {
		create = append(create, arn("security-group", id))
	}
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("CreateNetworkInterfacesInTheSubnets"),
			Actions:   jsii.Strings("ec2:CreateNetworkInterface"),
			Resources: jsii.Strings(create...),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ManageTheNetworkInterfaces"),
			Actions:   jsii.Strings("ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
			Resources: jsii.Strings(arn("network-interface", "*")),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DescribeTheNetwork"),
			Actions:   jsii.Strings("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"),
			Resources: jsii.Strings("*"),
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:RequestedRegion": awscdk.Aws_REGION()},
			},
		}),
	}
}

// suppressNetworkInterfaceFindings records, on the role, why cdk-nag's
// wildcard finding does not apply to the two resources EC2 cannot narrow.
func suppressNetworkInterfaceFindings(role constructs.IConstruct) {
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Lambda attaches the function to its VPC with the function's role. EC2's Describe actions accept no resource but \"*\" (held to this region), " +
			"and a network interface Lambda has yet to create has no ARN but network-interface/* of this account and region."),
		AppliesTo: &[]interface{}{
			"Resource::*",
			// The ARN is written with tokens, or with the account and region
			// of a pinned environment.
			&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:[^:]+:ec2:[^:]+:[^:]+:network-interface\/\*$/g`)},
		},
	}}, jsii.Bool(true))
}

// attachToVPC puts fn in the subnets and security groups of vpc, when it is
// not nil, and records on role why its network-interface grants hold the
// wildcards EC2 cannot narrow. The L2 construct takes a VPC object, which
// would need the VPC's ID and a lookup; the subnets and security groups are
// all Lambda needs. Lambda checks the role's network-interface permissions
// when it creates the function; they are inline in the role, which the
// function already depends on.
func attachToVPC(fn awslambda.Function, role constructs.IConstruct, vpc *config.VPC) {
	if vpc == nil {
		return
	}
	suppressNetworkInterfaceFindings(role)
	fn.Node().DefaultChild().(awslambda.CfnFunction).SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{
		SubnetIds:        jsii.Strings(vpc.SubnetIDs...),
		SecurityGroupIds: jsii.Strings(vpc.SecurityGroupIDs...),
	})
}
