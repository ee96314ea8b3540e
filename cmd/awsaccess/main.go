// Command awsaccess fails with one line that says how to provide AWS
// credentials when there are none, so that make diff, deploy, bootstrap and
// destroy stop before they synthesize:
//
//	awsaccess -for "make deploy ENV=prod"
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/awsaccess"
)

func main() {
	command := flag.String("for", "this command", "the `command` that needs AWS credentials, for the message")
	flag.Parse()
	// Off EC2 the instance-metadata lookup at the end of the chain can
	// wait on an address nobody answers; a few seconds settle it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	profile := os.Getenv("AWS_PROFILE")
	if profile == "" {
		profile = os.Getenv("AWS_DEFAULT_PROFILE")
	}
	if err := awsaccess.Check(ctx, *command, profile); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
