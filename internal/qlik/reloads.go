package qlik

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const reloadsPath = "/api/v1/reloads"

// Status is the state of a reload. Qlik documents seven; see
// https://qlik.dev/apis/rest/reloads/ (the Status schema).
type Status string

// The seven documented reload statuses. QUEUED, RELOADING and CANCELING are
// active; the other four are final.
const (
	StatusQueued        Status = "QUEUED"
	StatusReloading     Status = "RELOADING"
	StatusCanceling     Status = "CANCELING"
	StatusSucceeded     Status = "SUCCEEDED"
	StatusFailed        Status = "FAILED"
	StatusCanceled      Status = "CANCELED"
	StatusExceededLimit Status = "EXCEEDED_LIMIT"
)

// Known reports whether s is one of the seven documented statuses.
func (s Status) Known() bool {
	switch s {
	case StatusQueued, StatusReloading, StatusCanceling,
		StatusSucceeded, StatusFailed, StatusCanceled, StatusExceededLimit:
		return true
	}
	return false
}

// Final reports whether s is one of the four end statuses.
func (s Status) Final() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusCanceled, StatusExceededLimit:
		return true
	}
	return false
}

// Active reports whether a reload in status s may still run: the three
// active statuses, and any status Qlik may add later (an old example showed
// CREATED). Treating the unknown as active errs towards not starting a
// second reload.
func (s Status) Active() bool { return !s.Final() }

// Reload is one reload of an app, as Qlik returns it. See
// https://qlik.dev/apis/rest/reloads/ (the Reload schema).
type Reload struct {
	// ID is Qlik's 24-hex-digit reload id (not a GUID).
	ID       string `json:"id"`
	AppID    string `json:"appId"`
	TenantID string `json:"tenantId,omitempty"`
	UserID   string `json:"userId,omitempty"`
	// Type says what started the reload: "external" for the REST API,
	// "chronos" for Qlik's own schedules, "hub" for a user, and others.
	Type         string    `json:"type,omitempty"`
	Status       Status    `json:"status"`
	Partial      bool      `json:"partial,omitempty"`
	Weight       int       `json:"weight,omitempty"`
	CreationTime Timestamp `json:"creationTime,omitzero"`
	StartTime    Timestamp `json:"startTime,omitzero"`
	EndTime      Timestamp `json:"endTime,omitzero"`
	EngineTime   Timestamp `json:"engineTime,omitzero"`
	ErrorCode    string    `json:"errorCode,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`
	Log          string    `json:"log,omitempty"`
	Links        *Links    `json:"links,omitempty"`
}

// redact removes secrets from the texts a reload carries from the app's
// script (its log and error message), which could print anything.
func (r *Reload) redact(secrets []string) {
	r.Log = redact(r.Log, secrets)
	r.ErrorMessage = redact(r.ErrorMessage, secrets)
}

// Links holds the hypermedia links of a resource or a page.
type Links struct {
	Self *Href `json:"self,omitempty"`
	Next *Href `json:"next,omitempty"`
	Prev *Href `json:"prev,omitempty"`
}

// Href is one link.
type Href struct {
	Href string `json:"href"`
}

// ReloadList is one page of reloads, newest first.
type ReloadList struct {
	Data  []Reload `json:"data"`
	Links Links    `json:"links"`
}

// ReloadRequest is the body of POST /api/v1/reloads.
type ReloadRequest struct {
	AppID string `json:"appId"`
	// Partial asks for a partial reload; false is Qlik's default (a full
	// reload).
	Partial bool `json:"partial,omitempty"`
	// Variables are set before the script runs: at most 20, names and
	// values at most 256 characters.
	Variables map[string]string `json:"variables,omitempty"`
	// Weight is the reload's priority in the tenant's queue, 1 to 10; zero
	// leaves Qlik's default (1).
	Weight int `json:"weight,omitempty"`
}

// ListReloads returns the most recent reloads of an app, newest first, at
// most limit (1 to 100) of them, without their logs.
//
// Qlik API docs: https://qlik.dev/apis/rest/reloads/#get-api-v1-reloads
func (c *Client) ListReloads(ctx context.Context, appID string, limit int) ([]Reload, error) {
	q := url.Values{}
	q.Set("appId", appID)
	q.Set("limit", strconv.Itoa(min(max(limit, 1), 100)))
	req, err := c.newRequest(http.MethodGet, reloadsPath, q, nil)
	if err != nil {
		return nil, err
	}
	var page ReloadList
	if err := c.do(ctx, req, call{auth: true, replayable: true}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// CreateReload queues a reload. Qlik answers 201 with the new reload.
//
// The request is sent again only when Qlik did nothing with it (a
// rate-limit 429, or a failure before it was written), and only while one
// more attempt fits before ctx's deadline; it is never replayed by the HTTP
// transport itself. When the outcome is unknown (see OutcomeUnknown: a
// timeout, a reset stream, a 5xx), the error is returned and the caller must
// look for the reload before trying again. A *PendingReloadError means the
// app already has a reload waiting; a *TokenError means the request was not
// sent.
//
// Every 2xx answer means the reload was created. When its body cannot be
// read, CreateReload still succeeds, with a Reload that carries only AppID
// and Partial (ID and Status empty): the caller may find the id by listing
// the app's reloads, but must not create another one.
//
// Qlik API docs: https://qlik.dev/apis/rest/reloads/#post-api-v1-reloads
func (c *Client) CreateReload(ctx context.Context, r ReloadRequest) (*Reload, error) {
	req, err := c.newRequest(http.MethodPost, reloadsPath, nil, r)
	if err != nil {
		return nil, err
	}
	var out Reload
	if err := c.do(ctx, req, call{auth: true}, &out); err != nil {
		var re *RequestError
		if errors.As(err, &re) && re.StatusCode >= 200 && re.StatusCode < 300 {
			c.logger.WarnContext(ctx, "qlik created the reload but its answer could not be read",
				"status", re.StatusCode, "error", re.Err.Error())
			return &Reload{AppID: r.AppID, Partial: r.Partial}, nil
		}
		return nil, err
	}
	return &out, nil
}

// GetReload returns one reload.
//
// Qlik API docs: https://qlik.dev/apis/rest/reloads/#get-api-v1-reloads-reloadId
func (c *Client) GetReload(ctx context.Context, reloadID string) (*Reload, error) {
	if reloadID == "" {
		return nil, fmt.Errorf("get reload: empty reload id")
	}
	req, err := c.newRequest(http.MethodGet, reloadsPath+"/"+url.PathEscape(reloadID), nil, nil)
	if err != nil {
		return nil, err
	}
	var out Reload
	if err := c.do(ctx, req, call{auth: true, replayable: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Timestamp is a time in Qlik's format: RFC 3339 in UTC with milliseconds.
// Decoding is lenient: an empty string or null is the zero time rather than
// an error, so that one odd optional field cannot make a whole reload list
// unreadable.
type Timestamp struct {
	time.Time
}

// timestampLayout is the layout Qlik writes.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON writes the time in Qlik's layout.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(t.UTC().Format(timestampLayout))), nil
}

// UnmarshalJSON reads an RFC 3339 time; empty, null or unparsable values
// leave the zero time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		t.Time = time.Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Time = time.Time{}
		return nil
	}
	t.Time = v
	return nil
}
