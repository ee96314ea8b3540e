package credential

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
)

// SecretReader is the one Secrets Manager call the Source needs;
// *secretsmanager.Client implements it.
type SecretReader interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// TokenExchanger exchanges an OAuth client for an access token;
// *qlik.Client implements it.
type TokenExchanger interface {
	ClientCredentialsToken(ctx context.Context, clientID, clientSecret string) (*qlik.Token, error)
}

// DefaultTTL is how long a Source keeps the secret when no WithTTL option
// is given.
const DefaultTTL = 5 * time.Minute

// maxRefreshMargin is how long before its expiry an access token is
// replaced; a token that lives less than twice as long is replaced at half
// its life.
const maxRefreshMargin = 5 * time.Minute

// fallbackTokenLifetime is assumed when the token response says neither
// expires_in nor expires_at: short, so a wrong guess costs little.
const fallbackTokenLifetime = 5 * time.Minute

// Option configures a Source.
type Option func(*Source) error

// WithTTL sets how long the secret is kept after a successful read. Zero
// reads it once per invocation: the secret is kept for the requests of the
// Lambda invocation (its request id in the context, from lambdacontext)
// that read it, and read again by the next one; without a request id in
// the context, every Token call reads it. Access tokens are cached
// regardless.
func WithTTL(d time.Duration) Option {
	return func(s *Source) error {
		if d < 0 {
			return fmt.Errorf("secret TTL %s: must not be negative", d)
		}
		s.ttl = d
		return nil
	}
}

// WithClock sets the clock that ages the cached secret and token.
func WithClock(c clock.Clock) Option {
	return func(s *Source) error {
		if c == nil {
			return errors.New("nil clock")
		}
		s.clock = c
		return nil
	}
}

// WithLogger sets the logger for reads of the secret and token refreshes.
func WithLogger(l *slog.Logger) Option {
	return func(s *Source) error {
		if l != nil {
			s.logger = l
		}
		return nil
	}
}

// Source produces bearer tokens from the secret. It is safe for concurrent
// use; concurrent callers share one read of the secret and one token
// exchange.
type Source struct {
	secrets   SecretReader
	secretID  string
	exchanger TokenExchanger
	ttl       time.Duration
	clock     clock.Clock
	logger    *slog.Logger

	mu      sync.Mutex
	cred    Credential
	readAt  time.Time // wall time, without a monotonic reading
	readFor string    // the invocation's request id, for a TTL of zero
	hasCred bool

	token        string
	tokenFor     [sha256.Size]byte
	tokenRefresh time.Time

	lastInvalidated [sha256.Size]byte
	invalidatedAt   time.Time
}

// duplicateInvalidation is how long a second 401 for the same token is
// ignored: it comes from a request sent at the same time as the first
// (the handler asks for the app and its reloads at once), and a second read
// of the secret so soon would only repeat the first.
const duplicateInvalidation = 10 * time.Second

// NewSource returns a Source for the secret secretID (a name or ARN). It
// makes no call: the secret is read when a token is first needed.
// exchanger may be nil when the secret will never hold an OAuth client.
func NewSource(secrets SecretReader, secretID string, exchanger TokenExchanger, opts ...Option) (*Source, error) {
	if secrets == nil {
		return nil, errors.New("credential source: nil secret reader")
	}
	if secretID == "" {
		return nil, errors.New("credential source: empty secret id")
	}
	s := &Source{
		secrets:   secrets,
		secretID:  secretID,
		exchanger: exchanger,
		ttl:       DefaultTTL,
		clock:     clock.System(),
		logger:    slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, fmt.Errorf("credential source: %w", err)
		}
	}
	return s, nil
}

// SecretID returns the secret's name or ARN, for messages.
func (s *Source) SecretID() string { return s.secretID }

// Kind returns the kind of the credential read last, or 0 before the first
// successful read.
func (s *Source) Kind() Kind {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cred.kind
}

// Secrets returns the secret values held now (the API key, or the OAuth
// client's secret and its current access token), so that the Qlik client
// can remove them from every text it takes from a response. It implements
// qlik.SecretHolder.
func (s *Source) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasCred {
		return nil
	}
	if s.cred.kind == KindAPIKey {
		return []string{s.cred.apiKey}
	}
	return []string{s.cred.clientSecret, s.token}
}

// Token returns the bearer token for the next request: the API key, or a
// cached access token of the OAuth client, fetching either as needed.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cred, err := s.credentialLocked(ctx)
	if err != nil {
		return "", err
	}
	if cred.kind == KindAPIKey {
		return cred.apiKey, nil
	}
	fingerprint := sha256.Sum256([]byte(cred.clientID + "\x00" + cred.clientSecret))
	now := wallNow(s.clock)
	if s.token != "" && s.tokenFor == fingerprint && now.Before(s.tokenRefresh) {
		return s.token, nil
	}
	if s.exchanger == nil {
		return "", errors.New("the secret holds an OAuth client but no token exchanger is configured")
	}
	tok, err := s.exchanger.ClientCredentialsToken(ctx, cred.clientID, cred.clientSecret)
	if err != nil {
		var ae *qlik.APIError
		if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests {
			// Qlik refused the client (400, 401 and 403 are documented; a
			// 404 means the tenant has no such endpoint for it). A rejected
			// client may be a stale secret: read it again next time rather
			// than keep the rejected values for a TTL.
			s.hasCred = false
			return "", &OAuthError{SecretID: s.secretID, ClientID: cred.clientID, StatusCode: ae.StatusCode, Err: err}
		}
		return "", fmt.Errorf("get an OAuth access token for client %q: %w", cred.clientID, err)
	}
	lifetime := tokenLifetime(tok, now)
	s.token = tok.AccessToken
	s.tokenFor = fingerprint
	s.tokenRefresh = now.Add(lifetime - min(maxRefreshMargin, lifetime/2))
	s.logger.InfoContext(ctx, "fetched an OAuth access token",
		"clientId", cred.clientID, "expiresInSeconds", int64(lifetime/time.Second))
	return s.token, nil
}

func tokenLifetime(tok *qlik.Token, now time.Time) time.Duration {
	if tok.ExpiresIn > 0 {
		return time.Duration(tok.ExpiresIn) * time.Second
	}
	if t, err := time.Parse(time.RFC3339Nano, tok.ExpiresAt); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return fallbackTokenLifetime
}

// InvalidateToken drops token, which Qlik rejected with 401, together with
// the cached secret, so that the next Token call reads the secret again
// (and exchanges the OAuth client for a new access token). A token that is
// no longer the current one is ignored, and so is the same token again
// within ten seconds: another request already had it replaced.
func (s *Source) InvalidateToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := wallNow(s.clock)
	sum := sha256.Sum256([]byte(token))
	if sum == s.lastInvalidated && now.Sub(s.invalidatedAt) < duplicateInvalidation {
		return
	}
	s.lastInvalidated, s.invalidatedAt = sum, now
	switch {
	case s.token != "" && s.token == token:
		s.token = ""
		s.hasCred = false
	case s.hasCred && s.cred.kind == KindAPIKey && s.cred.apiKey == token:
		s.hasCred = false
	}
}

func (s *Source) credentialLocked(ctx context.Context) (Credential, error) {
	now := wallNow(s.clock)
	invocation := invocationID(ctx)
	if s.hasCred && s.fresh(now, invocation) {
		return s.cred, nil
	}
	out, err := s.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &s.secretID})
	if err != nil {
		return Credential{}, s.readError(err)
	}
	if out.SecretString == nil {
		return Credential{}, &SecretError{SecretID: s.secretID, Reason: ReasonFormat, Problem: "it holds binary data (SecretBinary), not a string"}
	}
	cred, err := Parse(*out.SecretString)
	switch {
	case errors.Is(err, errPlaceholder):
		return Credential{}, &SecretError{SecretID: s.secretID, Reason: ReasonPlaceholder}
	case err != nil:
		return Credential{}, &SecretError{SecretID: s.secretID, Reason: ReasonFormat, Problem: err.Error()}
	}
	s.cred, s.readAt, s.readFor, s.hasCred = cred, now, invocation, true
	s.logger.InfoContext(ctx, "read the Qlik credential from Secrets Manager",
		"secretId", s.secretID, "credentialKind", cred.kind.String())
	return cred, nil
}

// fresh reports whether the cached secret may still be used at now by the
// invocation with the given request id.
func (s *Source) fresh(now time.Time, invocation string) bool {
	if s.ttl == 0 {
		return invocation != "" && invocation == s.readFor
	}
	return now.Sub(s.readAt) < s.ttl
}

// wallNow returns the clock's time without its monotonic reading. Ages of
// cached values must be measured in wall time: the monotonic clock stops
// while Lambda keeps the environment frozen between invocations, so a
// secret read an hour ago could otherwise look a second old.
func wallNow(c clock.Clock) time.Time { return c.Now().Round(0) }

// invocationID returns the Lambda request id carried by ctx, or "".
func invocationID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

func (s *Source) readError(err error) error {
	e := &SecretError{SecretID: s.secretID, Reason: ReasonUnavailable, Err: err}
	var notFound *types.ResourceNotFoundException
	var decrypt *types.DecryptionFailure
	var invalid *types.InvalidRequestException
	var api smithy.APIError
	switch {
	case errors.As(err, &notFound) && strings.Contains(notFound.ErrorMessage(), "secret value"):
		// "can't find the specified secret value for staging label:
		// AWSCURRENT": the secret exists and has never been given a value.
		e.Reason = ReasonEmpty
	case errors.As(err, &notFound):
		e.Reason = ReasonNotFound
	case errors.As(err, &decrypt):
		e.Reason = ReasonDecryption
	case errors.As(err, &invalid):
		// GetSecretValue answers InvalidRequestException for a secret that
		// is scheduled for deletion: for the operator, it is gone.
		e.Reason = ReasonNotFound
	case errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException":
		e.Reason = ReasonAccessDenied
	}
	return e
}
