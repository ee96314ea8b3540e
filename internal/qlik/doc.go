// Package qlik is a small client for the parts of the Qlik Cloud REST API
// that start app reloads: reading an app, listing and reading its reloads,
// creating a reload, and exchanging an OAuth machine-to-machine client for
// an access token.
//
// The client follows the shape of go-github: [NewClient] validates the
// tenant URL and options, one newRequest builds every request, one do sends
// it, and each endpoint is a thin method with a link to its reference on
// qlik.dev. Every non-2xx answer becomes a typed error: [*APIError], or the
// more specific [*RateLimitError] and [*PendingReloadError] for the two kinds
// of 429 that Qlik answers on POST /api/v1/reloads; transport failures are
// [*RequestError], and a request not sent because its bearer token could
// not be had is a [*TokenError]. Callers branch on these with errors.As,
// never on text.
//
// Retries are small named policies in the style of go-retryablehttp
// ([DefaultRetryPolicy], [DefaultBackoff]): requests that are safe to repeat
// are retried on 5xx and transport errors with exponential backoff, jitter
// and a cap; a rate-limit 429 is retried after its Retry-After on every
// request, because Qlik did nothing with it. POST /api/v1/reloads is never
// repeated once it may have reached Qlik, neither by the client nor by Go's
// HTTP transports (it carries no GetBody, which the HTTP/2 transport would
// use to replay it after a reset stream): whether a reload was created is
// then for the caller to find out (see [OutcomeUnknown]). No wait outlasts
// the context's deadline: a wait that would end after it is not started,
// and the POST is sent (or sent again) only while one attempt still fits
// before the deadline ([ErrNoTimeToSend]).
//
// No message produced by this package contains the bearer token or an
// OAuth client secret, or any part of them: an error body is redacted whole
// before it is cut to a snippet.
package qlik
