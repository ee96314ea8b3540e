package config

import (
	"fmt"
	"net/url"
	"strings"
)

// appIDRule returns the rule for a row's appId. An app's address pasted
// where its ID belongs (https://tenant/sense/app/GUID/sheet/...) is common
// enough that the ID is taken from it, with a warning that says so, rather
// than refused.
func (d *decoder) appIDRule(v value) func(string) (string, string) {
	return func(s string) (string, string) {
		if !strings.Contains(s, "://") {
			return appID(s)
		}
		if id, ok := appIDFromURL(s); ok {
			d.warn(v.line, v.field, "took the app ID %s from the app's address; write appId: %s", id, id)
			return id, ""
		}
		return s, fmt.Sprintf("%q is an address without an app ID in it; open the app in Qlik Cloud and copy the GUID after /app/ in its address, such as 687ef393-f0ad-4c64-ac59-6db967126015", s)
	}
}

// appIDFromURL returns the app ID in an app's address: the GUID after
// /app/, or else the only GUID in the path.
func appIDFromURL(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	segments := strings.Split(u.Path, "/")
	var found []string
	for i, seg := range segments {
		if !guidAnyCase.MatchString(seg) {
			continue
		}
		if i > 0 && segments[i-1] == "app" {
			return strings.ToLower(seg), true
		}
		found = append(found, strings.ToLower(seg))
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}
