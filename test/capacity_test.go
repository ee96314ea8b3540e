package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// cdkWarningChars is where the CDK starts to warn about a template's size
// (80% of the 1,000,000 characters it takes as CloudFormation's limit).
const cdkWarningChars = 800_000

// limitsTable returns a table of n rows at the field limits: a
// 512-character description and 20 variables whose names and values are
// 256 characters, a few of them characters that JSON escapes.
func limitsTable(n int) string {
	var b strings.Builder
	b.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\ntimezone: America/Argentina/ComodRivadavia\nreloads:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: %s-%04d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(%d 6 ? * MON-FRI *)\n",
			strings.Repeat("r", 59), i, i%60)
		fmt.Fprintf(&b, "    description: '%s'\n    variables:\n", strings.Repeat("d", 508)+`<"&\`)
		for v := range 20 {
			fmt.Fprintf(&b, "      %s%03d: '%s'\n", strings.Repeat("v", 253), v, strings.Repeat("x", 251)+`<"&''x`)
		}
	}
	return b.String()
}

// TestFieldLimitsFitOrFailWithTheCount: 450 rows at the field limits would
// make a 5 MB template in one stack. The loader refuses them and names a
// stack count; with that count every template stays under the size at which
// the CDK warns (synth fails the test on the warning), and each schedule
// takes no more bytes than the loader budgets for it.
func TestFieldLimitsFitOrFailWithTheCount(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes 450 large schedules")
	}
	table := limitsTable(450)
	stacks := stackCountNamed(t, table, regexp.MustCompile(`KB a stack's template can hold`))
	cfg := loadTable(t, stacks, table)
	rows := map[string]config.Reload{}
	for _, r := range cfg.Reloads {
		rows[r.Name] = r
	}
	asm := synth(t, cfg)
	if len(asm.Stacks) != stacks {
		t.Fatalf("got %d stacks, want %d", len(asm.Stacks), stacks)
	}
	largest, slack := 0, 1<<30
	for _, s := range asm.Stacks {
		chars := len(utf16.Encode([]rune(string(s.Template))))
		if chars > cdkWarningChars || len(s.Template) > 1_000_000 {
			t.Errorf("%s: template of %d bytes, %d characters; the loader must keep it under %d", s.Name, len(s.Template), chars, cdkWarningChars)
		}
		largest = max(largest, len(s.Template))
		for name, size := range renderedSchedules(t, s.Template) {
			budget := rows[name].ScheduleBytes(cfg.Name)
			if size > budget {
				t.Errorf("%s: schedule %s takes %d bytes; the loader budgets %d", s.Name, name, size, budget)
			}
			slack = min(slack, budget-size)
		}
	}
	t.Logf("%d stacks; largest template %d bytes; smallest margin of a schedule's budget %d bytes", stacks, largest, slack)
}

// renderedSchedules returns the bytes each schedule's entry takes in the
// template as the CDK writes it (one space of indent per level), by row
// name.
func renderedSchedules(t *testing.T, template []byte) map[string]int {
	t.Helper()
	var tmpl struct {
		Resources map[string]json.RawMessage `json:"Resources"`
	}
	if err := json.Unmarshal(template, &tmpl); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for id, raw := range tmpl.Resources {
		var r struct {
			Type     string `json:"Type"`
			Metadata struct {
				Path string `json:"aws:cdk:path"`
			} `json:"Metadata"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.Type != "AWS::Scheduler::Schedule" {
			continue
		}
		// Entries sit two levels deep: `  "ID": {` and their keys at three
		// spaces, each entry followed by a comma and a newline.
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		enc.SetEscapeHTML(false)
		enc.SetIndent("  ", " ")
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		sizes[path.Base(r.Metadata.Path)] = len(`  "`+id+`": `) + len(bytes.TrimSuffix(body.Bytes(), []byte("\n"))) + len(",\n")
	}
	return sizes
}
