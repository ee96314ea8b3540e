package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The start queue's redrive policy is a backstop, not the way runs are
// given up: the function dead-letters a run itself when it is too late
// (maxDelayMinutes, at most a day) or cannot succeed, and puts a
// rate-limited run back with ChangeMessageVisibility, which counts as one
// more receive each time. A lower count would dead-letter runs that are
// only waiting their turn in a long burst, before their lateness bound.
// So it is SQS's maximum: only a message that fails every batch it is in
// (a function that crashes on it) ever reaches it, after days, while the
// backlog alarm has long fired.
const startQueueMaxReceiveCount = 1000

// visibilityTimeoutFactor follows AWS's advice for a queue a Lambda
// function reads: at least six times the function's timeout, so that a
// batch still being worked on (or retried by the poller) is not handed to
// a second function.
const visibilityTimeoutFactor = 6

// queueRetentionDays is SQS's longest retention: a run is never dropped by
// the queue before the function or the redrive policy has decided about it.
const queueRetentionDays = 14

// newStartQueue builds the queue every schedule sends its runs to, named
// for the schedule stacks (see sharedNames).
func newStartQueue(scope constructs.Construct, name string, key awskms.IKey, dlq awssqs.IQueue) awssqs.Queue {
	return awssqs.NewQueue(scope, jsii.String(startQueueID), &awssqs.QueueProps{
		QueueName:           jsii.String(name),
		Encryption:          queueEncryption(key),
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		VisibilityTimeout:   awscdk.Duration_Seconds(jsii.Number(visibilityTimeoutFactor * functionTimeoutSeconds)),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(queueRetentionDays)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(startQueueMaxReceiveCount),
		},
	})
}

// queueEncryption is KMS with the environment's key when one is set, and
// SQS-managed encryption otherwise.
func queueEncryption(key awskms.IKey) awssqs.QueueEncryption {
	if key != nil {
		return awssqs.QueueEncryption_KMS
	}
	return awssqs.QueueEncryption_SQS_MANAGED
}

// Ledger attribute and index names, shared with the function's ledger
// package through the table's definition only.
const (
	ledgerPartitionKey = "pk"
	ledgerSortKey      = "sk"
	ledgerTTLAttribute = "expiresAt"
	// ledgerOpenIndex holds only the runs without a final status: the
	// function sets openShard on them and removes it at the end, so a
	// watcher reads unfinished runs without scanning the table.
	ledgerOpenIndex = "open"
	ledgerOpenShard = "openShard"
	ledgerOpenSort  = "scheduledTime"
	// ledgerHistoryIndex lists every row's runs by day, newest first, for
	// the history command: runDay is the scheduled time's UTC date.
	ledgerHistoryIndex = "history"
	ledgerRunDay       = "runDay"
)

// newLedger builds the run ledger: one item per run, keyed by row and
// scheduled time. It is retained when the stack is deleted, since it is
// the environment's run history.
func newLedger(scope constructs.Construct, key awskms.IKey) awsdynamodb.Table {
	encryption := awsdynamodb.TableEncryption_DEFAULT
	if key != nil {
		encryption = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
	}
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	table := awsdynamodb.NewTable(scope, jsii.String("Ledger"), &awsdynamodb.TableProps{
		PartitionKey:        str(ledgerPartitionKey),
		SortKey:             str(ledgerSortKey),
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:          encryption,
		EncryptionKey:       key,
		TimeToLiveAttribute: jsii.String(ledgerTTLAttribute),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(ledgerOpenIndex),
		PartitionKey:   str(ledgerOpenShard),
		SortKey:        str(ledgerOpenSort),
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(ledgerHistoryIndex),
		PartitionKey:   str(ledgerRunDay),
		SortKey:        str(ledgerOpenSort),
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	return table
}
