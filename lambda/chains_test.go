package main

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
)

func TestLoadChains(t *testing.T) {
	graph, err := chain.New([]chain.Row{{Name: "transform", After: []string{"extract"},
		Message: `{"appId":"116dbfae-7fb9-4983-8e23-5ccd8c508722","row":"transform","scheduledTime":"` + chain.TimePlaceholder + `"}`}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"/var/task/chains.json": graph.Marshal(), "/var/task/broken.json": []byte(`{"rows":[{"row":"x"}]}`)}
	read := func(path string) ([]byte, error) {
		if data, ok := files[path]; ok {
			return data, nil
		}
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    []string // the upstream's downstream rows
		wantErr string
	}{
		{name: "no chains", env: map[string]string{}},
		{name: "bundled", env: map[string]string{"QLIK_CHAINS_FILE": "chains.json", "LAMBDA_TASK_ROOT": "/var/task"}, want: []string{"transform"}},
		{name: "missing", env: map[string]string{"QLIK_CHAINS_FILE": "other.json", "LAMBDA_TASK_ROOT": "/var/task"},
			wantErr: "QLIK_CHAINS_FILE=other.json, but the function's code has no such file"},
		{name: "broken", env: map[string]string{"QLIK_CHAINS_FILE": "broken.json", "LAMBDA_TASK_ROOT": "/var/task"},
			wantErr: "a downstream row needs a name and at least one upstream"},
		{name: "outside the code", env: map[string]string{"QLIK_CHAINS_FILE": "../etc/passwd", "LAMBDA_TASK_ROOT": "/var/task"},
			wantErr: "name a file of the function's code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := loadChains(func(k string) string { return tt.env[k] }, read)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if g != nil {
				for _, r := range g.After("extract") {
					got = append(got, r.Name)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("rows after extract %v, want %v", got, tt.want)
			}
		})
	}
}
