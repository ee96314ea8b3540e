// Package credential turns the Secrets Manager secret that holds the Qlik
// credential into the bearer token of each request.
//
// The secret's SecretString is one of:
//
//   - the bare API key;
//   - {"key": "<api key>"}, the format of the original whitepaper;
//   - {"clientId": "...", "clientSecret": "..."}, an OAuth2
//     machine-to-machine client, exchanged at the tenant's /oauth/token
//     for an access token.
//
// A [Source] reads the secret lazily, on the first request that needs it,
// and keeps it for a bounded time so that a warm process reads it once per
// TTL while a rotated key is still picked up without a redeploy. When Qlik
// rejects a token with 401, the Qlik client calls [Source.InvalidateToken],
// and the next request reads the secret again. Access tokens are cached
// until shortly before they expire: the token endpoint allows 100 calls a
// minute per tenant, so one token per invocation would not scale.
//
// Errors are typed ([*SecretError], [*OAuthError]) and their messages tell
// the operator what to do. No message, log record or formatted value from
// this package contains the key, the client secret or an access token.
package credential
