package reload

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
)

// Kind classifies why no reload was created or found. It is reported as
// the Lambda error type, so that failure destinations and alarms can tell
// a bad credential from a busy tenant without reading messages.
type Kind string

// The kinds of Error.
const (
	// KindInvalidEvent: the schedule's input is not a valid event.
	KindInvalidEvent Kind = "InvalidEvent"
	// KindCredentialUnavailable: the secret is missing, unreadable, still
	// the placeholder, or not in a known format.
	KindCredentialUnavailable Kind = "CredentialUnavailable"
	// KindCredentialRejected: Qlik answered 401, or refused to issue an
	// access token for the OAuth client.
	KindCredentialRejected Kind = "CredentialRejected"
	// KindAppNotFound: Qlik answered 404 for the app.
	KindAppNotFound Kind = "AppNotFound"
	// KindAppNotReloadable: the credential's user may not see or reload the
	// app (403, or no "reload" privilege).
	KindAppNotReloadable Kind = "AppNotReloadable"
	// KindReloadRejected: Qlik refused to create the reload (400, a
	// reload frequency quota, another 4xx).
	KindReloadRejected Kind = "ReloadRejected"
	// KindRateLimited: Qlik's rate limit was not lifted before the
	// function's deadline.
	KindRateLimited Kind = "RateLimited"
	// KindTenantUnavailable: the tenant did not answer usefully (5xx,
	// connection failures, timeouts, a token exchange that failed) within
	// the retries and the deadline, or too little time was left to send the
	// POST and look up its outcome. Nothing was created.
	KindTenantUnavailable Kind = "TenantUnavailable"
	// KindOutcomeUnknown: POST /api/v1/reloads may have created a reload,
	// and the tenant could not be asked whether it did.
	KindOutcomeUnknown Kind = "OutcomeUnknown"
)

// Error is an invocation that neither created nor found a reload. Its
// message names the cause and the fix; it never contains a credential.
type Error struct {
	Kind  Kind
	AppID string
	// Message is the whole text Error returns.
	Message string
	// Err is the cause.
	Err error
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// asyncRetryNote tells the operator what happens next to a failed event.
const asyncRetryNote = "Lambda retries a failed asynchronous invocation (twice by default) and then sends the event to the function's failure destination"

// step names the request that failed, for classification.
type step int

const (
	stepApp step = iota + 1
	stepList
	stepCreate
)

// classify turns the error of a step into an *Error for the operator.
func (h *Handler) classify(ctx context.Context, appID string, st step, err error) *Error {
	e := &Error{AppID: appID, Err: err}
	prefix := fmt.Sprintf("reload of app %s not started: ", appID)
	var (
		secretErr *credential.SecretError
		oauthErr  *credential.OAuthError
		rateErr   *qlik.RateLimitError
		tokenErr  *qlik.TokenError
		apiErr    *qlik.APIError
		reqErr    *qlik.RequestError
	)
	switch {
	case errors.As(err, &secretErr):
		e.Kind = KindCredentialUnavailable
		e.Message = prefix + secretErr.Error()
	case errors.As(err, &oauthErr):
		e.Kind = KindCredentialRejected
		e.Message = prefix + oauthErr.Error()
	case errors.Is(err, qlik.ErrNoTimeToSend):
		e.Kind = KindTenantUnavailable
		e.Message = prefix + fmt.Sprintf("POST /api/v1/reloads was not sent because too little time was left before the function's deadline for it and a look-up of its outcome (%v); nothing was created; %s. If this repeats, the tenant answers too slowly, or QLIK_REQUEST_TIMEOUT is too long for the function's timeout (it must fit more than twice)",
			err, asyncRetryNote)
	case errors.As(err, &rateErr):
		e.Kind = KindRateLimited
		e.Message = prefix + fmt.Sprintf("Qlik's rate limit was not lifted before the function's deadline (%v); nothing was created; %s, which will try again. If this repeats, spread the schedules (a flexible time window) or lower the function's reserved concurrency",
			rateErr, asyncRetryNote)
	case errors.As(err, &tokenErr):
		e.Kind = KindTenantUnavailable
		e.Message = prefix + fmt.Sprintf("the request was not sent because no bearer token could be had (%v); nothing was created; %s. Check Qlik's status page and the function's network access to the tenant %s",
			tokenErr, asyncRetryNote, h.client.BaseURL())
	case errors.As(err, &apiErr):
		e.Kind, e.Message = h.classifyStatus(appID, st, apiErr)
		e.Message = prefix + e.Message
	case errors.As(err, &reqErr), errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil:
		e.Kind = KindTenantUnavailable
		e.Message = prefix + fmt.Sprintf("no usable answer from the tenant %s before the function's deadline or the retries ran out (%v); %s. Check the tenant URL (QLIK_TENANT_URL), Qlik's status page, and the function's network access",
			h.client.BaseURL(), err, asyncRetryNote)
	default:
		e.Kind = KindTenantUnavailable
		e.Message = prefix + fmt.Sprintf("%v; %s", err, asyncRetryNote)
	}
	return e
}

func (h *Handler) classifyStatus(appID string, st step, ae *qlik.APIError) (Kind, string) {
	switch code := ae.StatusCode; {
	case code == http.StatusUnauthorized:
		return KindCredentialRejected, h.unauthorizedMessage(ae)
	case code == http.StatusNotFound && st == stepApp:
		return KindAppNotFound, fmt.Sprintf("Qlik has no app %s (%v): check the appId in the schedule's input, and that the app was not deleted or moved to another tenant", appID, ae)
	case code == http.StatusForbidden && ae.HasCode("RELOADS-013"):
		return KindReloadRejected, fmt.Sprintf("the tenant's reload frequency quota has been met (%v): Qlik will not start more reloads of this app for now; reduce how often it is scheduled", ae)
	case code == http.StatusForbidden:
		return KindAppNotReloadable, fmt.Sprintf("the credential's user may not see or reload app %s (%v): share the app, or its space, with that user with a role that can reload it, or use a credential of a user who can", appID, ae)
	case code == http.StatusBadRequest:
		return KindReloadRejected, fmt.Sprintf("Qlik refused the request as invalid (%v): check the schedule's input (appId, partial, variables, weight)", ae)
	case code >= 500:
		return KindTenantUnavailable, fmt.Sprintf("the tenant kept failing (%v); %s", ae, asyncRetryNote)
	}
	return KindReloadRejected, fmt.Sprintf("Qlik refused the request (%v)", ae)
}

func (h *Handler) unauthorizedMessage(ae *qlik.APIError) string {
	id := h.creds.SecretID()
	if h.creds.Kind() == credential.KindOAuthClient {
		return fmt.Sprintf("Qlik rejected the OAuth access token of the client in secret %q with 401 (%v), even after a fresh token: check that the OAuth client still exists, is enabled and has the user_default scope; put new client values with %s",
			id, ae, credential.PutCommand(id, `{"clientId":"<client-id>","clientSecret":"<client-secret>"}`))
	}
	return fmt.Sprintf("Qlik rejected the API key in secret %q with 401 (%v), also after reading the secret again: API keys expire after 24 hours by default (the tenant's max_api_key_expiry setting) and can be revoked. Put a new key with %s, or switch to an OAuth machine-to-machine client, whose tokens the function renews itself, with %s",
		id, ae, credential.PutCommand(id, "<api-key>"),
		credential.PutCommand(id, `{"clientId":"<client-id>","clientSecret":"<client-secret>"}`))
}
