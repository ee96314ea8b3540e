// Package secretsmanagertest provides a fake AWS Secrets Manager for tests:
// an httptest server that speaks the service's JSON protocol for
// GetSecretValue, so that the real SDK client (and the built function,
// through AWS_ENDPOINT_URL_SECRETS_MANAGER) can read secrets from it.
package secretsmanagertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Region and account of the fake's ARNs.
const (
	Region  = "eu-west-1"
	Account = "123456789012"
)

// Server is a fake Secrets Manager. Its methods are safe for concurrent
// use.
type Server struct {
	// URL is the endpoint to give the SDK.
	URL string

	srv     *httptest.Server
	mu      sync.Mutex
	secrets map[string]string
	empty   map[string]bool
	denied  map[string]bool
	reads   int
}

// New starts a fake Secrets Manager and stops it when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{secrets: map[string]string{}, empty: map[string]bool{}, denied: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// ARN returns the ARN of the secret called name.
func ARN(name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", Region, Account, name)
}

// Put sets the SecretString of the secret called name.
func (s *Server) Put(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = value
}

// Create adds the secret called name with no value, as CloudFormation
// creates a secret whose template sets neither SecretString nor
// GenerateSecretString: reads fail with ResourceNotFoundException until a
// value is put.
func (s *Server) Create(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty[name] = true
}

// Deny makes reads of the secret called name fail with
// AccessDeniedException.
func (s *Server) Deny(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[name] = true
}

// Reads returns how many GetSecretValue calls arrived.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "only GetSecretValue is faked")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		writeError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "request is not signed")
		return
	}
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionStage string `json:"VersionStage"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.SecretID == "" {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	name := in.SecretID
	if strings.HasPrefix(name, "arn:") {
		// arn:aws:secretsmanager:region:account:secret:name-XXXXXX
		parts := strings.SplitN(name, ":", 7)
		if len(parts) == 7 {
			name = parts[6]
			if i := strings.LastIndexByte(name, '-'); i > 0 {
				name = name[:i]
			}
		}
	}
	s.mu.Lock()
	s.reads++
	value, ok := s.secrets[name]
	empty := s.empty[name]
	denied := s.denied[name]
	s.mu.Unlock()
	switch {
	case denied:
		writeError(w, http.StatusBadRequest, "AccessDeniedException",
			"User: arn:aws:sts::"+Account+":assumed-role/reload/fn is not authorized to perform: secretsmanager:GetSecretValue")
		return
	case !ok && empty:
		// The service's answer for a secret that has no AWSCURRENT version.
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")
		return
	case !ok:
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN":           ARN(name),
		"Name":          name,
		"SecretString":  value,
		"VersionId":     "01234567-89ab-4cde-8f01-23456789abcd",
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   1.7725e9,
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
