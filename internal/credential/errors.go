package credential

import (
	"fmt"
	"net/http"
	"strings"
)

// Reason says why the secret could not give a credential.
type Reason int

// The reasons of a SecretError.
const (
	// ReasonNotFound: the secret does not exist (or is scheduled for
	// deletion).
	ReasonNotFound Reason = iota + 1
	// ReasonAccessDenied: the function's role may not read the secret.
	ReasonAccessDenied
	// ReasonDecryption: Secrets Manager could not decrypt the secret with
	// its KMS key.
	ReasonDecryption
	// ReasonUnavailable: Secrets Manager did not answer usefully (network,
	// throttling, deadline); trying again later may work.
	ReasonUnavailable
	// ReasonPlaceholder: the secret still holds the placeholder earlier
	// versions of the stack created it with.
	ReasonPlaceholder
	// ReasonFormat: the secret holds something that is not one of the
	// three accepted shapes, or holds binary data.
	ReasonFormat
	// ReasonEmpty: the secret exists but has no value yet. The stack
	// creates it empty, so that its template never holds a value that a
	// deployment could write over the operator's credential.
	ReasonEmpty
)

// SecretError is a secret that could not be read or did not hold a usable
// credential. Its message names the cause and the fix.
type SecretError struct {
	SecretID string
	Reason   Reason
	// Problem describes a ReasonFormat error without quoting the value.
	Problem string
	// Err is the cause from Secrets Manager, when there is one.
	Err error
}

// Error names the cause and the fix.
func (e *SecretError) Error() string {
	id := e.SecretID
	switch e.Reason {
	case ReasonNotFound:
		return fmt.Sprintf("secret %q not found in Secrets Manager (%v): check the secret id the function is configured with (QLIK_API_KEY_SECRET_ID) and its region", id, e.Err)
	case ReasonAccessDenied:
		return fmt.Sprintf("the function's role may not read secret %q (%v): allow secretsmanager:GetSecretValue on it, and kms:Decrypt through Secrets Manager when it has a customer-managed key", id, e.Err)
	case ReasonDecryption:
		return fmt.Sprintf("Secrets Manager could not decrypt secret %q (%v): allow the function's role kms:Decrypt on the secret's KMS key through Secrets Manager", id, e.Err)
	case ReasonEmpty:
		return fmt.Sprintf("secret %q has no value yet (the stack creates it empty): put the Qlik API key with %s, or an OAuth machine-to-machine client with %s (the stack outputs PutCredentialCommand and PutOAuthClientCommand print the same commands)",
			id, PutCommand(id, "<api-key>"), PutCommand(id, `{"clientId":"<client-id>","clientSecret":"<client-secret>"}`))
	case ReasonPlaceholder:
		return fmt.Sprintf("secret %q still holds the placeholder the stack created it with: put the Qlik API key with %s, or an OAuth machine-to-machine client with %s (the stack output PutCredentialCommand prints the command)",
			id, PutCommand(id, "<api-key>"), PutCommand(id, `{"clientId":"<client-id>","clientSecret":"<client-secret>"}`))
	case ReasonFormat:
		return fmt.Sprintf("secret %q does not hold a credential the function can read: %s; put the bare API key, {\"key\":\"<api-key>\"} or {\"clientId\":\"<client-id>\",\"clientSecret\":\"<client-secret>\"}, for example with %s",
			id, e.Problem, PutCommand(id, "<api-key>"))
	}
	return fmt.Sprintf("read secret %q from Secrets Manager: %v: the next attempt (Lambda retries failed asynchronous invocations) may succeed", id, e.Err)
}

// Unwrap returns the cause from Secrets Manager.
func (e *SecretError) Unwrap() error { return e.Err }

// OAuthError is the tenant refusing to issue an access token for the OAuth
// client in the secret (a 4xx other than 429 from /oauth/token).
type OAuthError struct {
	SecretID   string
	ClientID   string
	StatusCode int
	Err        error
}

// Error names the cause and the fix.
func (e *OAuthError) Error() string {
	return fmt.Sprintf("Qlik refused an access token for OAuth client %q with %d %s (%v): check that it is a machine-to-machine client of this tenant and that secret %q holds its current clientId and clientSecret; put new values with %s",
		e.ClientID, e.StatusCode, http.StatusText(e.StatusCode), e.Err, e.SecretID,
		PutCommand(e.SecretID, `{"clientId":"<client-id>","clientSecret":"<client-secret>"}`))
}

// Unwrap returns the *qlik.APIError.
func (e *OAuthError) Unwrap() error { return e.Err }

// PutCommand returns the AWS CLI command that puts value into the secret.
// value is a placeholder for the operator to replace, never a real
// credential. When secretID is an ARN, the command names its region, so
// that it works whatever region the operator's CLI is set to.
func PutCommand(secretID, value string) string {
	region := ""
	if parts := strings.Split(secretID, ":"); len(parts) >= 7 && parts[0] == "arn" && parts[2] == "secretsmanager" && parts[3] != "" {
		region = "--region " + parts[3] + " "
	}
	return "aws secretsmanager put-secret-value " + region + "--secret-id " + shellQuote(secretID) + " --secret-string " + shellQuote(value)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
