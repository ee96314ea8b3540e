package qlik

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// App is the part of an app's description that a reload trigger needs. See
// https://qlik.dev/apis/rest/apps/#get-api-v1-apps-appId.
type App struct {
	Attributes AppAttributes `json:"attributes"`
	// Privileges lists what the caller may do with the app; "reload" is
	// required to start a reload.
	Privileges []string `json:"privileges"`
}

// AppAttributes are an app's descriptive attributes.
type AppAttributes struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	LastReloadTime string `json:"lastReloadTime,omitempty"`
	SpaceID        string `json:"spaceId,omitempty"`
}

// PrivilegeReload is the app privilege that allows starting a reload.
const PrivilegeReload = "reload"

// Can reports whether the caller holds privilege on the app.
func (a *App) Can(privilege string) bool { return slices.Contains(a.Privileges, privilege) }

// GetApp returns an app's attributes and the caller's privileges on it.
// Qlik answers 404 for an unknown app and 403 for one the caller cannot see.
//
// Qlik API docs: https://qlik.dev/apis/rest/apps/#get-api-v1-apps-appId
func (c *Client) GetApp(ctx context.Context, appID string) (*App, error) {
	if appID == "" {
		return nil, fmt.Errorf("get app: empty app id")
	}
	req, err := c.newRequest(http.MethodGet, "/api/v1/apps/"+url.PathEscape(appID), nil, nil)
	if err != nil {
		return nil, err
	}
	var out App
	if err := c.do(ctx, req, call{auth: true, replayable: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
