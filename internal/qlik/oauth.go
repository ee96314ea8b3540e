package qlik

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Token is an OAuth access token issued by the tenant. Its formatting and
// logging methods hide the access token, so that printing a Token by
// mistake cannot leak it.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	// ExpiresIn is the token's lifetime in seconds when it was issued
	// (Qlik issues 6-hour tokens: 21600).
	ExpiresIn int64  `json:"expires_in"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

// String hides the access token.
func (t Token) String() string {
	return fmt.Sprintf("qlik.Token{TokenType:%q ExpiresIn:%d AccessToken:[redacted]}", t.TokenType, t.ExpiresIn)
}

// GoString hides the access token from %#v.
func (t Token) GoString() string { return t.String() }

// Format hides the access token from every fmt verb.
func (t Token) Format(f fmt.State, _ rune) { fmt.Fprint(f, t.String()) }

// LogValue hides the access token from slog.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tokenType", t.TokenType), slog.Int64("expiresIn", t.ExpiresIn))
}

type clientCredentialsRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	GrantType    string `json:"grant_type"`
}

// ClientCredentialsToken exchanges an OAuth machine-to-machine client's id
// and secret for an access token (grant type client_credentials). The
// endpoint is limited to 100 calls a minute per tenant: callers should cache
// the token until shortly before it expires.
//
// Qlik API docs: https://qlik.dev/apis/rest/oauth/#post-oauth-token
func (c *Client) ClientCredentialsToken(ctx context.Context, clientID, clientSecret string) (*Token, error) {
	if clientID == "" || clientSecret == "" {
		return nil, errors.New("oauth token: empty client id or secret")
	}
	req, err := c.newRequest(http.MethodPost, "/oauth/token", nil, clientCredentialsRequest{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		GrantType:    "client_credentials",
	})
	if err != nil {
		return nil, err
	}
	var tok Token
	// Asking for a token twice does no harm, so the exchange is retried
	// like a read.
	if err := c.do(ctx, req, call{replayable: true, secret: clientSecret}, &tok); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, &RequestError{Method: req.Method, Path: req.URL.Path, Sent: true, StatusCode: http.StatusOK,
			Err: errors.New("response has no access_token")}
	}
	return &tok, nil
}
