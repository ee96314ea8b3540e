package secretsmanagertest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/secretsmanagertest"
)

// TestRealClient checks the fake against the SDK's own client, so that the
// end-to-end tests exercise the real protocol.
func TestRealClient(t *testing.T) {
	fake := secretsmanagertest.New(t)
	fake.Put("qlik/prod", "the-value")
	fake.Deny("qlik/locked")
	client := secretsmanager.New(secretsmanager.Options{
		Region:       secretsmanagertest.Region,
		BaseEndpoint: aws.String(fake.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	})
	ctx := context.Background()
	for _, id := range []string{"qlik/prod", secretsmanagertest.ARN("qlik/prod")} {
		out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue(%s): %v", id, err)
		}
		if aws.ToString(out.SecretString) != "the-value" || aws.ToString(out.ARN) != secretsmanagertest.ARN("qlik/prod") {
			t.Errorf("GetSecretValue(%s) = %q %q", id, aws.ToString(out.SecretString), aws.ToString(out.ARN))
		}
	}
	_, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing secret: error = %v, want ResourceNotFoundException", err)
	}
	_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("qlik/locked")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Errorf("denied secret: error = %v, want AccessDeniedException", err)
	}
	if got := fake.Reads(); got != 4 {
		t.Errorf("reads = %d, want 4", got)
	}
}
