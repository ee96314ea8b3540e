package stacks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// TestKeyEncryptsEverything: with kmsKeyArn, the secret, the log group,
// the queues, the ledger and the alarm topic are encrypted with that key,
// and Scheduler's role may use it to send to the queues, through SQS only.
func TestKeyEncryptsEverything(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.KMSKeyArn = kmsKey }))
	check(t, "encrypted resources", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]interface{}{"KmsKeyId": kmsKey})
		tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{"KmsKeyId": kmsKey})
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]interface{}{
			"KmsMasterKeyId":       kmsKey,
			"SqsManagedSseEnabled": assertions.Match_Absent(),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]interface{}{"KmsMasterKeyId": kmsKey})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]interface{}{
			"Description": assertions.Match_StringLikeRegexp(jsii.String("^EventBridge Scheduler")),
			"Policies": []interface{}{map[string]interface{}{
				"PolicyName": "SendScheduledRuns",
				"PolicyDocument": map[string]interface{}{
					"Statement": assertions.Match_ArrayWith(&[]interface{}{
						keyVia("EncryptForStartQueue", "sqs", "kms:GenerateDataKey", "kms:Decrypt"),
					}),
				},
			}},
		})
	})
}

// TestLogRetentionNeverExpires: never leaves RetentionInDays out, which is
// CloudWatch Logs' "never expire".
func TestLogRetentionNeverExpires(t *testing.T) {
	tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.LogRetentionDays = config.LogRetentionNever }))
	check(t, "log group", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), assertions.Match_ObjectEquals(&map[string]interface{}{}))
	})
}

// TestVPC: the function runs in the configured subnets and security
// groups, and its role may manage network interfaces only as narrowly as
// EC2 allows: creation in those subnets and groups, the rest on interfaces
// of this account and region, and EC2's Describe actions (which take no
// resource) in this region.
func TestVPC(t *testing.T) {
	vpc := &config.VPC{SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-89abcdef"}, SecurityGroupIDs: []string{"sg-0123456789abcdef0"}}
	tmpl := coreTemplate(t, testConfig(func(c *config.Config) { c.VPC = vpc }))
	ec2 := func(resource string) interface{} {
		return map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{
			"arn:", map[string]interface{}{"Ref": "AWS::Partition"}, ":ec2:", map[string]interface{}{"Ref": "AWS::Region"}, ":",
			map[string]interface{}{"Ref": "AWS::AccountId"}, ":" + resource,
		}}}
	}
	check(t, "function", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]interface{}{
			"VpcConfig": map[string]interface{}{
				"SubnetIds":        []interface{}{"subnet-0123456789abcdef0", "subnet-89abcdef"},
				"SecurityGroupIds": []interface{}{"sg-0123456789abcdef0"},
			},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]interface{}{
			"Description": assertions.Match_StringLikeRegexp(jsii.String("^Reload function")),
			"Policies": []interface{}{map[string]interface{}{
				"PolicyName": "ReloadFunction",
				"PolicyDocument": map[string]interface{}{
					"Statement": assertions.Match_ArrayWith(&[]interface{}{
						map[string]interface{}{
							"Sid": "CreateNetworkInterfacesInTheSubnets", "Effect": "Allow", "Action": "ec2:CreateNetworkInterface",
							"Resource": []interface{}{ec2("network-interface/*"), ec2("subnet/subnet-0123456789abcdef0"), ec2("subnet/subnet-89abcdef"), ec2("security-group/sg-0123456789abcdef0")},
						},
						map[string]interface{}{
							"Sid": "ManageTheNetworkInterfaces", "Effect": "Allow",
							"Action":   []interface{}{"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"},
							"Resource": ec2("network-interface/*"),
						},
						map[string]interface{}{
							"Sid": "DescribeTheNetwork", "Effect": "Allow",
							"Action":    []interface{}{"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"},
							"Resource":  "*",
							"Condition": map[string]interface{}{"StringEquals": map[string]interface{}{"aws:RequestedRegion": map[string]interface{}{"Ref": "AWS::Region"}}},
						},
					}),
				},
			}},
		})
	})

	// Those are the only wildcards of any policy.
	roles := tmpl.FindResources(jsii.String("AWS::IAM::Role"), nil)
	wildcards := 0
	for _, r := range *roles {
		raw, _ := json.Marshal((*r)["Properties"].(map[string]interface{})["Policies"])
		wildcards += strings.Count(string(raw), "*")
	}
	// Three in each of the two roles Lambda attaches to the VPC with: the
	// reload function's and the watcher's.
	if wildcards != 6 {
		t.Errorf("the roles' policies hold %d wildcards, want 6 (Describe's resource and network-interface/* twice, in each function's role)", wildcards)
	}
}
