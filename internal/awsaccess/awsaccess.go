// Package awsaccess checks, before a command that needs AWS (cdk diff,
// deploy, bootstrap, destroy) starts its minute of work, that the AWS SDK's
// default credential chain yields credentials, and otherwise says in one
// line how to provide them.
//
// It resolves credentials the way the CDK CLI does: environment variables,
// the shared config and credentials files (profiles, SSO, assumed roles),
// web identity, container and EC2 instance credentials. Static credentials
// are never sent anywhere; a profile that must exchange a token or assume a
// role does call AWS, as the command itself would.
package awsaccess

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// MissingError says that no usable AWS credentials were found for Command,
// and how to provide them.
type MissingError struct {
	// Command is what the user ran, for example "make deploy ENV=prod".
	Command string
	// Profile is the AWS profile that was selected (AWS_PROFILE), if any.
	Profile string
	// Err is the SDK's reason, if it gave one.
	Err error
}

func (e *MissingError) Error() string {
	var profileMissing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(e.Err, &profileMissing):
		return fmt.Sprintf("%s needs AWS credentials, but profile %s is not in your AWS config: add it with aws configure sso --profile %s, or run AWS_PROFILE=NAME %s with a profile you have",
			e.Command, e.Profile, e.Profile, e.Command)
	case e.Profile != "":
		return fmt.Sprintf("%s needs AWS credentials, and profile %s gave none (%s): sign in with aws sso login --profile %s (or fix the profile), then run it again",
			e.Command, e.Profile, oneLine(e.Err), e.Profile)
	default:
		return fmt.Sprintf("%s needs AWS credentials and found none: sign in with aws sso login --profile NAME and run AWS_PROFILE=NAME %s, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
			e.Command, e.Command)
	}
}

func (e *MissingError) Unwrap() error { return e.Err }

// Check resolves credentials through the default chain and returns a
// *MissingError when there are none. command names what the user ran, for
// the message; profile is the selected AWS profile ("" for the default),
// also only for the message: the SDK reads AWS_PROFILE itself. opts adjust
// the loading, as config.LoadDefaultConfig takes them.
func Check(ctx context.Context, command, profile string, opts ...func(*config.LoadOptions) error) error {
	missing := func(err error) error { return &MissingError{Command: command, Profile: profile, Err: err} }
	// The SDK's own warnings (such as the instance-metadata fallback off
	// EC2) would break the one-line message.
	opts = append([]func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}, opts...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return missing(err)
	}
	if cfg.Credentials == nil {
		return missing(nil)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return missing(err)
	}
	if !creds.HasKeys() {
		return missing(nil)
	}
	return nil
}

// oneLine flattens an SDK error, which may span lines, into one.
func oneLine(err error) string {
	if err == nil {
		return "no credentials"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
