package credential_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
)

const (
	secretID     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qlik-reload-triggers/prod-AbCdEf"
	apiKey       = "eyJhbGciOiJFUzM4NCJ9.api-key-under-test.c2ln"
	clientID     = "0123456789abcdef0123456789abcdef"
	clientSecret = "oauth-client-secret-under-test"
)

// getSecretFunc fakes the one Secrets Manager call.
type getSecretFunc func(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)

func (f getSecretFunc) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return f(ctx, in, optFns...)
}

// secrets is a counting fake whose value a test can change.
type secrets struct {
	mu    sync.Mutex
	value string
	err   error
	reads int
}

func (s *secrets) reader() credential.SecretReader {
	return getSecretFunc(func(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reads++
		if aws.ToString(in.SecretId) != secretID {
			return nil, &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
		}
		if s.err != nil {
			return nil, s.err
		}
		return &secretsmanager.GetSecretValueOutput{ARN: in.SecretId, SecretString: aws.String(s.value)}, nil
	})
}

func (s *secrets) set(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = v
}

func (s *secrets) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantKind   credential.Kind
		wantClient string
		wantErr    string
	}{
		{name: "bare key", in: apiKey, wantKind: credential.KindAPIKey},
		{name: "bare key with new line", in: apiKey + "\n", wantKind: credential.KindAPIKey},
		{name: "whitepaper JSON", in: `{"key": "` + apiKey + `"}`, wantKind: credential.KindAPIKey},
		{name: "OAuth client", in: `{"clientId": "` + clientID + `", "clientSecret": "` + clientSecret + `"}`, wantKind: credential.KindOAuthClient, wantClient: clientID},
		{name: "OAuth client with extra members", in: `{"clientId": "` + clientID + `", "clientSecret": "` + clientSecret + `", "note": "prod"}`, wantKind: credential.KindOAuthClient, wantClient: clientID},
		{name: "placeholder", in: credential.Placeholder, wantErr: "placeholder"},
		{name: "placeholder in key", in: `{"key": "` + credential.Placeholder + `"}`, wantErr: "placeholder"},
		{name: "empty", in: "  ", wantErr: "the secret is empty"},
		{name: "malformed JSON", in: `{"key": "` + apiKey, wantErr: "not valid JSON (error at byte"},
		{name: "JSON array", in: `{"key"]`, wantErr: "not valid JSON"},
		{name: "unknown shape", in: `{"apiKey": "` + apiKey + `", "tenant": "x"}`, wantErr: `neither "key" nor "clientId" and "clientSecret" (found keys "apiKey", "tenant")`},
		{name: "empty object", in: `{}`, wantErr: "(found no keys)"},
		{name: "both shapes", in: `{"key": "a", "clientId": "b", "clientSecret": "c"}`, wantErr: "both"},
		{name: "client id only", in: `{"clientId": "b"}`, wantErr: `no "clientSecret"`},
		{name: "client secret only", in: `{"clientSecret": "` + clientSecret + `"}`, wantErr: `no "clientId"`},
		{name: "key not a string", in: `{"key": 42}`, wantErr: `"key" must be a string`},
		{name: "key null", in: `{"key": null}`, wantErr: `"key" must be a string`},
		{name: "key empty", in: `{"key": ""}`, wantErr: `"key" is empty`},
		{name: "bare value with spaces", in: "Bearer " + apiKey, wantErr: "white space"},
		{name: "key with spaces", in: `{"key": "Bearer ` + apiKey + `"}`, wantErr: "white space"},
		{name: "non-ASCII key", in: "clé-" + apiKey, wantErr: "non-ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := credential.Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				for _, secret := range []string{apiKey, clientSecret} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q quotes the secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Kind() != tt.wantKind || c.ClientID() != tt.wantClient {
				t.Errorf("Parse = kind %v client %q, want %v %q", c.Kind(), c.ClientID(), tt.wantKind, tt.wantClient)
			}
			formatted := fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c)
			for _, secret := range []string{apiKey, clientSecret} {
				if strings.Contains(formatted, secret) {
					t.Errorf("formatted credential %q shows the secret", formatted)
				}
			}
		})
	}
}

func newSource(t *testing.T, sm *secrets, exchanger credential.TokenExchanger, clk clock.Clock, opts ...credential.Option) *credential.Source {
	t.Helper()
	src, err := credential.NewSource(sm.reader(), secretID, exchanger, append([]credential.Option{credential.WithClock(clk)}, opts...)...)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	return src
}

func TestSecretIsReadOncePerTTL(t *testing.T) {
	clk := clock.NewFake(time.Now())
	sm := &secrets{value: apiKey}
	src := newSource(t, sm, nil, clk)
	if sm.count() != 0 {
		t.Fatalf("NewSource read the secret; it must wait for the first token")
	}
	ctx := context.Background()
	for i := range 3 {
		tok, err := src.Token(ctx)
		if err != nil || tok != apiKey {
			t.Fatalf("Token #%d = %q, %v; want the API key", i, tok, err)
		}
		clk.Advance(time.Minute)
	}
	if got := sm.count(); got != 1 {
		t.Errorf("reads within the TTL = %d, want 1", got)
	}
	clk.Advance(credential.DefaultTTL)
	sm.set("rotated-" + apiKey)
	tok, err := src.Token(ctx)
	if err != nil || tok != "rotated-"+apiKey {
		t.Fatalf("Token after the TTL = %q, %v; want the rotated key", tok, err)
	}
	if got := sm.count(); got != 2 {
		t.Errorf("reads after the TTL = %d, want 2", got)
	}
	if src.Kind() != credential.KindAPIKey {
		t.Errorf("Kind = %v, want API key", src.Kind())
	}
}

func TestZeroTTLReadsOncePerInvocation(t *testing.T) {
	sm := &secrets{value: apiKey}
	src := newSource(t, sm, nil, clock.NewFake(time.Now()), credential.WithTTL(0))
	invocation := func(id string) context.Context {
		return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
	}
	// An invocation's requests (app, list, POST, polls) share one read.
	for _, ctx := range []context.Context{invocation("req-1"), invocation("req-1"), invocation("req-1"), invocation("req-2"), invocation("req-2")} {
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := sm.count(); got != 2 {
		t.Errorf("reads over two invocations = %d, want 2", got)
	}
	// Outside an invocation, every call reads.
	for range 2 {
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := sm.count(); got != 4 {
		t.Errorf("reads = %d, want 4", got)
	}
}

func TestInvalidateTokenRereadsTheSecret(t *testing.T) {
	sm := &secrets{value: apiKey}
	src := newSource(t, sm, nil, clock.NewFake(time.Now()))
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	src.InvalidateToken("some-other-token")
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sm.count(); got != 1 {
		t.Fatalf("reads after invalidating a token not in use = %d, want 1", got)
	}
	sm.set("new-" + apiKey)
	src.InvalidateToken(apiKey)
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	src.InvalidateToken(apiKey) // a late 401 from a request sent with the old key
	tok, err := src.Token(ctx)
	if err != nil || tok != "new-"+apiKey {
		t.Fatalf("Token = %q, %v; want the new key", tok, err)
	}
	if got := sm.count(); got != 2 {
		t.Errorf("reads = %d, want 2", got)
	}
}

func TestConcurrent401sReadTheSecretOnce(t *testing.T) {
	clk := clock.NewFake(time.Now())
	sm := &secrets{value: apiKey}
	src := newSource(t, sm, nil, clk)
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	// Two requests sent together with a key Qlik no longer accepts: the
	// first 401 re-reads the secret (still the same key), the second,
	// arriving after that read, must not read it a third time.
	src.InvalidateToken(apiKey)
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	src.InvalidateToken(apiKey)
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sm.count(); got != 2 {
		t.Errorf("reads = %d, want 2", got)
	}
	// A 401 in a later invocation does read it again.
	clk.Advance(time.Minute)
	src.InvalidateToken(apiKey)
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sm.count(); got != 3 {
		t.Errorf("reads after a later 401 = %d, want 3", got)
	}
}

func TestSecretErrors(t *testing.T) {
	tests := []struct {
		name        string
		value       string
		err         error
		binary      bool
		wantReason  credential.Reason
		wantInError []string
	}{
		{
			name:        "not found",
			err:         &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")},
			wantReason:  credential.ReasonNotFound,
			wantInError: []string{"not found", "QLIK_API_KEY_SECRET_ID", secretID},
		},
		{
			name:       "created empty by the stack",
			err:        &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")},
			wantReason: credential.ReasonEmpty,
			wantInError: []string{
				"has no value yet",
				"aws secretsmanager put-secret-value --region eu-west-1 --secret-id '" + secretID + "' --secret-string '<api-key>'",
				`--secret-string '{"clientId":"<client-id>","clientSecret":"<client-secret>"}'`,
				"PutCredentialCommand",
			},
		},
		{
			name:        "scheduled for deletion",
			err:         &types.InvalidRequestException{Message: aws.String("You can't perform this operation on the secret because it was marked for deletion.")},
			wantReason:  credential.ReasonNotFound,
			wantInError: []string{"marked for deletion"},
		},
		{
			name:        "access denied",
			err:         &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: secretsmanager:GetSecretValue"},
			wantReason:  credential.ReasonAccessDenied,
			wantInError: []string{"may not read", "secretsmanager:GetSecretValue", "kms:Decrypt"},
		},
		{
			name:        "KMS",
			err:         &types.DecryptionFailure{Message: aws.String("Access to KMS is not allowed")},
			wantReason:  credential.ReasonDecryption,
			wantInError: []string{"could not decrypt", "kms:Decrypt"},
		},
		{
			name:        "throttled",
			err:         &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"},
			wantReason:  credential.ReasonUnavailable,
			wantInError: []string{"Rate exceeded", "may succeed"},
		},
		{
			name:       "placeholder",
			value:      credential.Placeholder,
			wantReason: credential.ReasonPlaceholder,
			wantInError: []string{
				"still holds the placeholder",
				"aws secretsmanager put-secret-value --region eu-west-1 --secret-id '" + secretID + "' --secret-string '<api-key>'",
				`--secret-string '{"clientId":"<client-id>","clientSecret":"<client-secret>"}'`,
				"PutCredentialCommand",
			},
		},
		{
			name:        "unknown JSON",
			value:       `{"apikey": "` + apiKey + `"}`,
			wantReason:  credential.ReasonFormat,
			wantInError: []string{`found keys "apikey"`, `{"key":"<api-key>"}`, `{"clientId":"<client-id>","clientSecret":"<client-secret>"}`, "put-secret-value"},
		},
		{
			name:        "binary",
			binary:      true,
			wantReason:  credential.ReasonFormat,
			wantInError: []string{"binary data"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads := 0
			reader := getSecretFunc(func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
				reads++
				if tt.err != nil {
					return nil, tt.err
				}
				if tt.binary {
					return &secretsmanager.GetSecretValueOutput{SecretBinary: []byte(apiKey)}, nil
				}
				return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(tt.value)}, nil
			})
			src, err := credential.NewSource(reader, secretID, nil, credential.WithClock(clock.NewFake(time.Now())))
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Token(context.Background())
			var se *credential.SecretError
			if !errors.As(err, &se) || se.Reason != tt.wantReason {
				t.Fatalf("Token error = %v, want a *SecretError with reason %v", err, tt.wantReason)
			}
			for _, want := range tt.wantInError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), apiKey) {
				t.Errorf("error %q contains the key", err)
			}
			// Errors are not cached: the operator's fix is seen at once.
			_, _ = src.Token(context.Background())
			if reads != 2 {
				t.Errorf("reads = %d, want 2 (a failed read is not cached)", reads)
			}
		})
	}
}

// oauthSetup returns a fake tenant with the OAuth client registered and a
// source whose secret holds it.
func oauthSetup(t *testing.T, tokenTTL time.Duration) (*qliktest.Tenant, *secrets, *credential.Source, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Now())
	tenant := qliktest.New(t, qliktest.WithClock(clk.Now))
	tenant.AddOAuthClient(clientID, clientSecret)
	tenant.SetTokenTTL(tokenTTL)
	exchanger, err := qlik.NewClient(tenant.URL, qlik.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	sm := &secrets{value: `{"clientId":"` + clientID + `","clientSecret":"` + clientSecret + `"}`}
	return tenant, sm, newSource(t, sm, exchanger, clk), clk
}

func TestOAuthTokenIsCachedUntilShortlyBeforeExpiry(t *testing.T) {
	tests := []struct {
		name      string
		tokenTTL  time.Duration
		keep      time.Duration // still the same token after this long
		refreshAt time.Duration // a new token after this long
	}{
		{name: "six-hour token refreshed five minutes early", tokenTTL: 6 * time.Hour, keep: 6*time.Hour - 5*time.Minute - time.Second, refreshAt: 6*time.Hour - 5*time.Minute},
		{name: "short token refreshed at half its life", tokenTTL: 4 * time.Minute, keep: 2*time.Minute - time.Second, refreshAt: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, _, src, clk := oauthSetup(t, tt.tokenTTL)
			ctx := context.Background()
			first, err := src.Token(ctx)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			start := clk.Now()
			clk.Advance(tt.keep)
			again, err := src.Token(ctx)
			if err != nil || again != first {
				t.Fatalf("Token after %v = %v; want the cached token", tt.keep, err)
			}
			if got := tenant.TokenRequests(); got != 1 {
				t.Errorf("token requests before expiry = %d, want 1", got)
			}
			clk.Advance(tt.refreshAt - clk.Now().Sub(start))
			fresh, err := src.Token(ctx)
			if err != nil || fresh == first {
				t.Fatalf("Token after %v = %v; want a new token", tt.refreshAt, err)
			}
			if got := tenant.TokenRequests(); got != 2 {
				t.Errorf("token requests after refresh = %d, want 2", got)
			}
			if src.Kind() != credential.KindOAuthClient {
				t.Errorf("Kind = %v, want OAuth client", src.Kind())
			}
		})
	}
}

func TestOAuthSecretRereadKeepsTheToken(t *testing.T) {
	tenant, sm, src, clk := oauthSetup(t, 6*time.Hour)
	ctx := context.Background()
	for range 4 {
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(credential.DefaultTTL)
	}
	if got := sm.count(); got != 4 {
		t.Errorf("secret reads = %d, want 4 (one per TTL)", got)
	}
	if got := tenant.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1 (same client, token still valid)", got)
	}
}

func TestOAuthTokenInvalidated(t *testing.T) {
	tenant, sm, src, _ := oauthSetup(t, 6*time.Hour)
	ctx := context.Background()
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src.InvalidateToken(first)
	second, err := src.Token(ctx)
	if err != nil || second == first {
		t.Fatalf("Token after a 401 = %v; want a new token", err)
	}
	if got, want := []int{tenant.TokenRequests(), sm.count()}, []int{2, 2}; !cmp.Equal(got, want) {
		t.Errorf("token requests, secret reads = %v, want %v", got, want)
	}
}

func TestOAuthClientRejected(t *testing.T) {
	tenant, sm, src, _ := oauthSetup(t, 6*time.Hour)
	sm.set(`{"clientId":"` + clientID + `","clientSecret":"wrong-` + clientSecret + `"}`)
	_, err := src.Token(context.Background())
	var oe *credential.OAuthError
	if !errors.As(err, &oe) || oe.StatusCode != 401 {
		t.Fatalf("Token error = %v, want a 401 *OAuthError", err)
	}
	for _, want := range []string{clientID, "machine-to-machine", "put-secret-value --region eu-west-1 --secret-id '" + secretID + "'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), clientSecret) {
		t.Errorf("error %q contains the client secret", err)
	}
	// The rejected client is not kept: once the operator fixes the
	// secret, the next call reads it again and succeeds.
	sm.set(`{"clientId":"` + clientID + `","clientSecret":"` + clientSecret + `"}`)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("Token after the fix: %v", err)
	}
	if got := tenant.TokenRequests(); got != 1 {
		t.Errorf("tokens issued = %d, want 1", got)
	}
}

func TestNewSourceValidates(t *testing.T) {
	sm := &secrets{}
	if _, err := credential.NewSource(nil, secretID, nil); err == nil {
		t.Error("nil reader accepted")
	}
	if _, err := credential.NewSource(sm.reader(), "", nil); err == nil {
		t.Error("empty secret id accepted")
	}
	if _, err := credential.NewSource(sm.reader(), secretID, nil, credential.WithTTL(-time.Second)); err == nil {
		t.Error("negative TTL accepted")
	}
}

func TestPutCommand(t *testing.T) {
	tests := []struct {
		name, secretID, value, want string
	}{
		{"quotes", "it's", `{"a":"b"}`, `aws secretsmanager put-secret-value --secret-id 'it'\''s' --secret-string '{"a":"b"}'`},
		{
			"an ARN names its region", "arn:aws:secretsmanager:eu-north-1:123456789012:secret:Credential6C1A466E-AbCdEf", "<api-key>",
			`aws secretsmanager put-secret-value --region eu-north-1 --secret-id 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:Credential6C1A466E-AbCdEf' --secret-string '<api-key>'`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(credential.PutCommand(tt.secretID, tt.value), tt.want); diff != "" {
				t.Errorf("PutCommand mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestOAuthTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name      string
		fault     qliktest.Fault
		wantOAuth bool
	}{
		{"not found is the client's problem", qliktest.Status(404, "error-404-app.json"), true},
		{"forbidden is the client's problem", qliktest.Status(403, "error-403-app.json"), true},
		{"rate limit is not", qliktest.RateLimited(time.Hour), false},
		{"server error is not", qliktest.ServerError(500), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, _, src, _ := oauthSetup(t, 6*time.Hour)
			tenant.SetFault(qliktest.RouteToken, tt.fault)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := src.Token(ctx)
			var oe *credential.OAuthError
			if err == nil || errors.As(err, &oe) != tt.wantOAuth {
				t.Errorf("Token error = %v, want an *OAuthError: %v", err, tt.wantOAuth)
			}
			if err != nil && strings.Contains(err.Error(), clientSecret) {
				t.Errorf("error %q contains the client secret", err)
			}
		})
	}
}

// TestSecretsForRedaction: the source names what the Qlik client must
// remove from what it reads: nothing before the first read, then the API
// key, or the OAuth client's secret and its current access token.
func TestSecretsForRedaction(t *testing.T) {
	ctx := context.Background()
	keySource := newSource(t, &secrets{value: apiKey}, nil, clock.NewFake(time.Now()))
	if got := keySource.Secrets(); len(got) != 0 {
		t.Errorf("Secrets before the first read = %q, want none", got)
	}
	if _, err := keySource.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if got := keySource.Secrets(); !slices.Equal(got, []string{apiKey}) {
		t.Errorf("Secrets of an API key = %q, want the key", got)
	}
	_, _, oauth, _ := oauthSetup(t, 6*time.Hour)
	tok, err := oauth.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := oauth.Secrets(); !slices.Equal(got, []string{clientSecret, tok}) {
		t.Errorf("Secrets of an OAuth client = %q, want its secret and the access token", got)
	}
}
