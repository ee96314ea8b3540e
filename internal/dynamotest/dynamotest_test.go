package dynamotest

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TestLedgerTable checks that the server starts and that the table it
// creates has the ledger's keys, the open-runs index and the history
// index.
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
	var names []string
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		names = append(names, aws.ToString(ix.IndexName))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"history", "open"}) {
		t.Errorf("indexes = %v, want history and open", names)
	}
}
