// Package history lists an environment's runs from its ledger, newest
// first, one line each: what `make history` prints. It finds the ledger
// table from the environment's core stack's outputs, with the caller's
// credentials.
package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/watch"
)

// Stacks is the CloudFormation call the command needs;
// *cloudformation.Client implements it.
type Stacks interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// TableOutput is the core stack's output that names the ledger table.
const TableOutput = assembly.LedgerTableOutput

// StackName is the core stack of an environment.
func StackName(environment string) string { return assembly.CoreStackName(environment) }

// NoStackError says that the environment's core stack is not deployed
// where the caller's credentials point, or lacks the ledger.
type NoStackError struct {
	Stack  string
	Region string
	Reason string
}

// Error says what is missing and what to do.
func (e *NoStackError) Error() string {
	return fmt.Sprintf("stack %s in %s %s: deploy the environment first (make deploy ENV=...), or point AWS_PROFILE/AWS_REGION at the account and region it is deployed to",
		e.Stack, e.Region, e.Reason)
}

// LedgerTable returns the ledger table's name from the stack's outputs.
func LedgerTable(ctx context.Context, cfn Stacks, stack, region string) (string, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
			return "", &NoStackError{Stack: stack, Region: region, Reason: "is not deployed"}
		}
		return "", fmt.Errorf("describe stack %s in %s: %w", stack, region, err)
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if aws.ToString(o.OutputKey) == TableOutput && aws.ToString(o.OutputValue) != "" {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	return "", &NoStackError{Stack: stack, Region: region, Reason: "has no output " + TableOutput + " (it was deployed before the run ledger)"}
}

// Write prints runs one line each, under a header: row, scheduled time in
// the row's zone, started, ended, duration, status, reload ID and error
// summary (its lines joined with " | ").
func Write(w io.Writer, runs []ledger.Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tSCHEDULED (ROW'S ZONE)\tSTARTED (UTC)\tENDED (UTC)\tDURATION\tSTATUS\tRELOAD\tERROR")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			watch.RowName(r), scheduled(r), clock(r.StartedAt), clock(r.EndedAt), took(r), r.Status, dash(r.ReloadID),
			strings.ReplaceAll(dash(r.ErrorSummary), "\n", " | "))
	}
	return tw.Flush()
}

// scheduled writes the run's time in its row's zone, without the zone's
// name (the abbreviation says it).
func scheduled(r ledger.Run) string {
	s := watch.ScheduledIn(r)
	if i := strings.Index(s, " ("); i > 0 {
		return s[:i]
	}
	return s
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func took(r ledger.Run) string {
	if r.EndedAt.IsZero() && r.Duration == 0 {
		return "-"
	}
	return r.Duration.Round(time.Second).String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
