package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Kind says which sort of credential a secret holds.
type Kind int

// The kinds of credential.
const (
	// KindAPIKey is a Qlik API key, sent as the bearer token as is.
	KindAPIKey Kind = iota + 1
	// KindOAuthClient is an OAuth2 machine-to-machine client, exchanged for
	// an access token.
	KindOAuthClient
)

// String names the kind for messages.
func (k Kind) String() string {
	switch k {
	case KindAPIKey:
		return "API key"
	case KindOAuthClient:
		return "OAuth client"
	}
	return "credential"
}

// Credential is the parsed content of the secret. Its fields are
// unexported and its formatting hides them, so that it cannot be printed
// by mistake.
type Credential struct {
	kind         Kind
	apiKey       string
	clientID     string
	clientSecret string
}

// Kind returns the credential's kind.
func (c Credential) Kind() Kind { return c.kind }

// ClientID returns the OAuth client's id (not a secret), or "" for an API
// key.
func (c Credential) ClientID() string { return c.clientID }

// String hides the secret parts.
func (c Credential) String() string {
	if c.kind == KindOAuthClient {
		return fmt.Sprintf("credential.Credential{OAuth client %q, secret [redacted]}", c.clientID)
	}
	return "credential.Credential{API key [redacted]}"
}

// GoString hides the secret parts from %#v.
func (c Credential) GoString() string { return c.String() }

// Format hides the secret parts from every fmt verb.
func (c Credential) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// errPlaceholder marks a secret that still holds Placeholder.
var errPlaceholder = errors.New("secret holds the placeholder")

// Parse reads a secret's SecretString: the bare API key, {"key": "..."}, or
// {"clientId": "...", "clientSecret": "..."}. Surrounding white space is
// ignored. The error never quotes the value, only the names of the JSON
// keys found.
func Parse(secretString string) (Credential, error) {
	s := strings.TrimSpace(secretString)
	switch {
	case s == "":
		return Credential{}, errors.New("the secret is empty")
	case s == Placeholder:
		return Credential{}, errPlaceholder
	case strings.HasPrefix(s, "{"):
		return parseJSON([]byte(s))
	}
	if err := checkToken(s, "the value"); err != nil {
		return Credential{}, err
	}
	return Credential{kind: KindAPIKey, apiKey: s}, nil
}

func parseJSON(b []byte) (Credential, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		// json's messages can quote a character of the input; report only
		// where it went wrong.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return Credential{}, fmt.Errorf("the value starts with { but is not valid JSON (error at byte %d)", syn.Offset)
		}
		return Credential{}, errors.New("the value starts with { but is not a JSON object")
	}
	str := func(name string) (string, bool, error) {
		raw, ok := fields[name]
		if !ok {
			return "", false, nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return "", true, fmt.Errorf("%q must be a string", name)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return "", true, fmt.Errorf("%q is empty", name)
		}
		return v, true, nil
	}
	key, hasKey, err := str("key")
	if err != nil {
		return Credential{}, err
	}
	id, hasID, err := str("clientId")
	if err != nil {
		return Credential{}, err
	}
	secret, hasSecret, err := str("clientSecret")
	if err != nil {
		return Credential{}, err
	}
	switch {
	case hasKey && (hasID || hasSecret):
		return Credential{}, errors.New(`the JSON has both "key" and "clientId"/"clientSecret"; keep one credential`)
	case hasKey:
		if key == Placeholder {
			return Credential{}, errPlaceholder
		}
		if err := checkToken(key, `"key"`); err != nil {
			return Credential{}, err
		}
		return Credential{kind: KindAPIKey, apiKey: key}, nil
	case hasID && !hasSecret:
		return Credential{}, errors.New(`the JSON has "clientId" but no "clientSecret"`)
	case hasSecret && !hasID:
		return Credential{}, errors.New(`the JSON has "clientSecret" but no "clientId"`)
	case hasID:
		return Credential{kind: KindOAuthClient, clientID: id, clientSecret: secret}, nil
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, fmt.Sprintf("%q", name))
	}
	slices.Sort(names)
	found := "no keys"
	if len(names) > 0 {
		found = "keys " + strings.Join(names, ", ")
	}
	return Credential{}, fmt.Errorf(`the JSON has neither "key" nor "clientId" and "clientSecret" (found %s)`, found)
}

// checkToken rejects values that cannot be a bearer token: an HTTP header
// cannot carry control characters, and white space inside means the secret
// holds more than a key (a pasted command line, say).
func checkToken(s, what string) error {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII {
			return fmt.Errorf("%s has white space, control or non-ASCII characters inside; a Qlik API key is a single token", what)
		}
	}
	return nil
}
