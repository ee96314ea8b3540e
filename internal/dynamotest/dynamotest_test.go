package dynamotest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TestLedgerTable checks that the server starts and that the table it
// creates has the ledger's keys and the open-runs index.
func TestLedgerTable(t *testing.T) {
	s := Start(t)
	name := s.LedgerTable(t)
	out, err := s.Client().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Table.TableStatus; got != "ACTIVE" {
		t.Errorf("table status = %s, want ACTIVE", got)
	}
	if len(out.Table.GlobalSecondaryIndexes) != 1 || aws.ToString(out.Table.GlobalSecondaryIndexes[0].IndexName) != "open" {
		t.Errorf("indexes = %+v, want one named open", out.Table.GlobalSecondaryIndexes)
	}
}
