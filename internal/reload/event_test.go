package reload_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

const testAppID = "116dbfae-7fb9-4983-8e23-5ccd8c508722"

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeEvent(t *testing.T) {
	long := strings.Repeat("é", 257)
	tests := []struct {
		name string
		in   string
		file string
		want reload.Event
		// wantFields are the fields the error names, in order; nil for
		// success.
		wantFields []string
		wantText   []string
	}{
		{name: "minimal", file: "minimal.json", want: reload.Event{AppID: testAppID}},
		{name: "full", file: "full.json", want: reload.Event{
			AppID: testAppID, Partial: true, Weight: 7,
			Variables: map[string]string{"vRegion": "EMEA", "vFrom": "2026-01-01", "vNote": "Zürich ✓"},
		}},
		{name: "upper-case GUID", in: `{"appId":"116DBFAE-7FB9-4983-8E23-5CCD8C508722"}`, want: reload.Event{AppID: "116DBFAE-7FB9-4983-8E23-5CCD8C508722"}},
		{name: "partial false", in: `{"appId":"` + testAppID + `","partial":false}`, want: reload.Event{AppID: testAppID}},
		{name: "empty variables", in: `{"appId":"` + testAppID + `","variables":{}}`, want: reload.Event{AppID: testAppID}},
		{name: "weight 1", in: `{"appId":"` + testAppID + `","weight":1}`, want: reload.Event{AppID: testAppID, Weight: 1}},
		{name: "weight 10", in: `{"appId":"` + testAppID + `","weight":10}`, want: reload.Event{AppID: testAppID, Weight: 10}},
		{name: "256-character variable", in: `{"appId":"` + testAppID + `","variables":{"v":"` + long[2:] + `"}}`, want: reload.Event{AppID: testAppID, Variables: map[string]string{"v": long[2:]}}},

		{name: "case typo of appId", file: "whitepaper-typo.json", wantFields: []string{`"appID"`, "appId"}, wantText: []string{`did you mean "appId"?`, "appId: is required"}},
		{name: "unknown field", in: `{"appId":"` + testAppID + `","reloadType":"full"}`, wantFields: []string{`"reloadType"`}, wantText: []string{"unknown field (an event has appId, partial, variables, weight)"}},
		{name: "missing appId", in: `{"partial":true}`, wantFields: []string{"appId"}},
		{name: "bad GUID", in: `{"appId":"not-a-guid"}`, wantFields: []string{"appId"}, wantText: []string{`must be a GUID`, `got "not-a-guid"`}},
		{name: "GUID with braces", in: `{"appId":"{` + testAppID + `}"}`, wantFields: []string{"appId"}},
		{name: "appId null", in: `{"appId":null}`, wantFields: []string{"appId"}},
		{name: "appId number", in: `{"appId":42}`, wantFields: []string{"appId"}},
		{name: "duplicate appId", in: `{"appId":"` + testAppID + `","appId":"` + testAppID + `"}`, wantFields: []string{"appId"}, wantText: []string{"more than once"}},
		{name: "partial string", in: `{"appId":"` + testAppID + `","partial":"true"}`, wantFields: []string{"partial"}},
		{name: "partial null", in: `{"appId":"` + testAppID + `","partial":null}`, wantFields: []string{"partial"}},
		{name: "weight 0", in: `{"appId":"` + testAppID + `","weight":0}`, wantFields: []string{"weight"}, wantText: []string{"from 1 to 10, got 0"}},
		{name: "weight 11", in: `{"appId":"` + testAppID + `","weight":11}`, wantFields: []string{"weight"}, wantText: []string{"got 11"}},
		{name: "weight fraction", in: `{"appId":"` + testAppID + `","weight":2.5}`, wantFields: []string{"weight"}},
		{name: "weight string", in: `{"appId":"` + testAppID + `","weight":"5"}`, wantFields: []string{"weight"}},
		{name: "too many variables", file: "too-many-variables.json", wantFields: []string{"variables"}, wantText: []string{"has 21 entries; Qlik accepts at most 20"}},
		{name: "variable value too long", in: `{"appId":"` + testAppID + `","variables":{"v":"` + long + `"}}`, wantFields: []string{`variables["v"]`}, wantText: []string{"value is 257 characters"}},
		{name: "variable name too long", in: `{"appId":"` + testAppID + `","variables":{"` + long + `":"x"}}`, wantFields: []string{`variables["` + long[:128] + `..."]`}, wantText: []string{"name is 257 characters"}},
		{name: "empty variable name", in: `{"appId":"` + testAppID + `","variables":{"":"x"}}`, wantFields: []string{"variables"}},
		{name: "variable value number", in: `{"appId":"` + testAppID + `","variables":{"v":1}}`, wantFields: []string{`variables["v"]`}},
		{name: "variables array", in: `{"appId":"` + testAppID + `","variables":["v"]}`, wantFields: []string{"variables"}},
		{name: "every problem at once", in: `{"appId":"x","weight":0,"extra":1}`, wantFields: []string{"weight", `"extra"`, "appId"}},
		{name: "not an object", in: `["` + testAppID + `"]`, wantFields: []string{""}, wantText: []string{"must be a JSON object"}},
		{name: "null", in: `null`, wantFields: []string{""}},
		{name: "empty", in: ``, wantFields: []string{""}, wantText: []string{"not valid JSON"}},
		{name: "trailing data", in: `{"appId":"` + testAppID + `"} {}`, wantFields: []string{""}, wantText: []string{"data after"}},
		{name: "truncated", in: `{"appId":"` + testAppID, wantFields: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if tt.file != "" {
				in = readEvent(t, tt.file)
			}
			got, err := reload.DecodeEvent(in)
			if tt.wantFields == nil {
				if err != nil {
					t.Fatalf("DecodeEvent: %v", err)
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("event mismatch (-got +want):\n%s", diff)
				}
				return
			}
			var ee *reload.EventError
			if !errors.As(err, &ee) {
				t.Fatalf("DecodeEvent error = %v, want an *EventError", err)
			}
			if diff := cmp.Diff(ee.Fields(), tt.wantFields); diff != "" {
				t.Errorf("fields named mismatch (-got +want):\n%s\nerror: %v", diff, err)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestEventValidate(t *testing.T) {
	vars := map[string]string{}
	for i := range 21 {
		vars[string(rune('a'+i))] = "x"
	}
	tests := []struct {
		name       string
		ev         reload.Event
		wantFields []string
	}{
		{"valid", reload.Event{AppID: testAppID, Weight: 3}, nil},
		{"bad GUID", reload.Event{AppID: "x"}, []string{"appId"}},
		{"weight 11", reload.Event{AppID: testAppID, Weight: 11}, []string{"weight"}},
		{"negative weight", reload.Event{AppID: testAppID, Weight: -1}, []string{"weight"}},
		{"too many variables", reload.Event{AppID: testAppID, Variables: vars}, []string{"variables"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ev.Validate()
			var got []string
			var ee *reload.EventError
			if errors.As(err, &ee) {
				got = ee.Fields()
			} else if err != nil {
				t.Fatalf("Validate error %v is not an *EventError", err)
			}
			if diff := cmp.Diff(got, tt.wantFields); diff != "" {
				t.Errorf("fields mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

// FuzzDecodeEvent checks that decoding never panics, that an accepted
// event is valid, and that it survives a round trip through JSON: what the
// handler passes on is exactly what the schedule said.
func FuzzDecodeEvent(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "events"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readEvent(f, e.Name()))
	}
	for _, s := range []string{
		`{"appId":"` + testAppID + `","weight":10,"partial":false}`,
		`{"appId":"` + testAppID + `","variables":{"a":"\u0000","b":"\ud800"}}`,
		`{"appId":"` + testAppID + `","variables":{"a":"1","a":"2"}}`,
		`{"appId":"` + testAppID + `","weight":1e0}`,
		`{"appId":"` + testAppID + `","weight":-0}`,
		`{"APPID":"x"}`,
		`{} `,
		`  {"appId":"` + testAppID + `"}  `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := reload.DecodeEvent(data)
		if err != nil {
			var ee *reload.EventError
			if !errors.As(err, &ee) || len(ee.Problems) == 0 {
				t.Fatalf("error %v is not an *EventError with problems", err)
			}
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("accepted event %+v does not validate: %v", ev, err)
		}
		again, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", ev, err)
		}
		back, err := reload.DecodeEvent(again)
		if err != nil {
			t.Fatalf("re-encoded event %s does not decode: %v", again, err)
		}
		if diff := cmp.Diff(back, ev); diff != "" {
			t.Fatalf("round trip mismatch (-got +want):\n%s", diff)
		}
	})
}
