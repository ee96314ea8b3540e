package emf_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
)

func TestWrite(t *testing.T) {
	at := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		dimensions []emf.Dimension
		properties map[string]any
		want       string
	}{
		{
			name:       "function name dimension and properties",
			dimensions: []emf.Dimension{{Name: "FunctionName", Value: "reload-prod"}},
			properties: map[string]any{"appId": "116dbfae-7fb9-4983-8e23-5ccd8c508722", "reloadId": "65f1c0de0000000000000001"},
			want: `{"FunctionName":"reload-prod","ReloadsStarted":1,"TriggerFailures":0,` +
				`"_aws":{"Timestamp":1772344800000,"CloudWatchMetrics":[{"Namespace":"QlikReloadTriggers","Dimensions":[["FunctionName"]],` +
				`"Metrics":[{"Name":"ReloadsStarted","Unit":"Count"},{"Name":"TriggerFailures","Unit":"Count"}]}]},` +
				`"appId":"116dbfae-7fb9-4983-8e23-5ccd8c508722","reloadId":"65f1c0de0000000000000001"}` + "\n",
		},
		{
			name:       "no dimensions, colliding properties dropped",
			properties: map[string]any{"_aws": "x", "ReloadsStarted": "x", "ok": true},
			want: `{"ReloadsStarted":1,"TriggerFailures":0,` +
				`"_aws":{"Timestamp":1772344800000,"CloudWatchMetrics":[{"Namespace":"QlikReloadTriggers","Dimensions":[[]],` +
				`"Metrics":[{"Name":"ReloadsStarted","Unit":"Count"},{"Name":"TriggerFailures","Unit":"Count"}]}]},"ok":true}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := emf.New(&buf, "QlikReloadTriggers", func() time.Time { return at }, tt.dimensions...)
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write([]emf.Metric{
				{Name: "ReloadsStarted", Unit: emf.Count, Value: 1},
				{Name: "TriggerFailures", Unit: emf.Count, Value: 0},
			}, tt.properties)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if diff := cmp.Diff(buf.String(), tt.want); diff != "" {
				t.Errorf("record mismatch (-got +want):\n%s", diff)
			}
			if !json.Valid(bytes.TrimSpace(buf.Bytes())) || bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
				t.Errorf("record is not one line of JSON: %q", buf.String())
			}
		})
	}
}

func TestNewAndWriteReject(t *testing.T) {
	var buf bytes.Buffer
	if _, err := emf.New(nil, "ns", nil); err == nil {
		t.Error("nil writer accepted")
	}
	if _, err := emf.New(&buf, "", nil); err == nil {
		t.Error("empty namespace accepted")
	}
	if _, err := emf.New(&buf, "ns", nil, emf.Dimension{Name: "FunctionName"}); err == nil {
		t.Error("empty dimension value accepted")
	}
	w, err := emf.New(&buf, "ns", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(nil, nil); err == nil {
		t.Error("record without metrics accepted")
	}
	if err := w.Write([]emf.Metric{{Unit: emf.Count}}, nil); err == nil {
		t.Error("metric without name accepted")
	}
}
