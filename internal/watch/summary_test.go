package watch_test

import (
	"strings"
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/watch"
)

func TestSummarize(t *testing.T) {
	long := strings.Repeat("x", 3000)
	var many strings.Builder
	for i := range 200 {
		many.WriteString("2026-12-01 07:00:00 0001  LOAD line " + strings.Repeat("n", 10) + string(rune('a'+i%26)) + "\n")
	}
	many.WriteString("2026-12-01 07:05:00      Error: the very last words\n2026-12-01 07:05:00      Execution finished.\n")
	tests := []struct {
		name               string
		log, code, message string
		want               string // the whole summary, when set
		wantSuffix         string
		wantPrefix         string
		wantMissing        string
	}{
		{name: "code, message and the log's meaningful lines",
			log:  "2026-12-01 07:00:01 0001  LOAD * FROM x;\r\n\r\n----\n2026-12-01 07:00:02      Error: Field 'y' not found\n2026-12-01 07:00:02      Execution finished.\n",
			code: "ScriptError", message: "Field 'y'\n not found",
			want: "ScriptError: Field 'y' not found\nLOAD * FROM x;"}, // the log's error line repeats the message
		{name: "no log", code: "EngineConnectionError", want: "EngineConnectionError"},
		{name: "nothing at all", want: ""},
		{name: "a long log keeps its last lines", log: many.String(),
			wantSuffix: "Error: the very last words", wantMissing: "Execution finished"},
		{name: "one line longer than the bound is cut", log: long, wantPrefix: "xxxx", wantSuffix: "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := watch.Summarize(tt.log, tt.code, tt.message)
			if len(got) > watch.MaxSummary {
				t.Errorf("summary of %d bytes, over %d", len(got), watch.MaxSummary)
			}
			if tt.want != "" || (tt.wantSuffix == "" && tt.wantPrefix == "") {
				if got != tt.want {
					t.Errorf("summary\n%q\nwant\n%q", got, tt.want)
				}
			}
			if !strings.HasSuffix(got, tt.wantSuffix) || !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("summary %q: want prefix %q and suffix %q", got, tt.wantPrefix, tt.wantSuffix)
			}
			if tt.wantMissing != "" && strings.Contains(got, tt.wantMissing) {
				t.Errorf("summary %q holds %q", got, tt.wantMissing)
			}
		})
	}
}
