package test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
)

// TestTwentyThousandRowsSynthesize: a table of 20,000 rows loads, spreads
// over the stacks the loader asks for, and synthesizes with every stack
// under CloudFormation's 500 resources and 1 MB (and without the CDK's size
// warning, which fails synth here) and every row present once. One more row
// then adds exactly one schedule and changes nothing else. The first synth
// runs the CDK's template validation over every stack, the schedule stacks
// included, which a plain synth leaves out for speed (see the stacks
// package): any finding fails it.
func TestTwentyThousandRowsSynthesize(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes 20,000 schedules twice")
	}
	const rows = 20000
	var b strings.Builder
	b.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\nreloads:\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "  - name: report-%05d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(%d %d ? * MON-FRI *)\n", i, i%60, 6+i/60%12)
	}
	table := b.String()

	// With the default of one schedule stack, the loader refuses the table
	// and names a stack count that fits.
	stacks := stackCountNamed(t, table, regexp.MustCompile(`schedules in the one stack`))
	before := synthWithContext(t, loadTable(t, stacks, table), map[string]interface{}{"validateAllStacks": true})
	if len(before.Stacks) != stacks {
		t.Errorf("got %d stacks, want %d", len(before.Stacks), stacks)
	}
	schedules := 0
	for _, s := range before.Stacks {
		counts, err := s.ResourceCounts()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		if total > 500 || len(s.Template) > 1_000_000 {
			t.Errorf("stack %s has %d resources and %d bytes; CloudFormation allows 500 and 1 MB", s.Name, total, len(s.Template))
		}
		n, err := s.RowSchedules()
		if err != nil {
			t.Fatal(err)
		}
		schedules += n
	}
	if schedules != rows {
		t.Errorf("got %d schedules, want %d", schedules, rows)
	}

	extra := "report-extra"
	after := synth(t, loadTable(t, stacks, table+fmt.Sprintf("  - name: %s\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(0 6 ? * MON-FRI *)\n", extra)))
	added := addedResources(t, before, after)
	if len(added) != 1 || !strings.HasPrefix(added[0], "Schedules"+strings.ReplaceAll(extra, "-", "")) {
		t.Errorf("one more row added %v, want exactly its schedule", added)
	}
}

// addedResources returns the logical IDs of the resources that after adds
// to before, and fails the test on any resource that changed or went away.
func addedResources(t *testing.T, before, after *assembly.Assembly) []string {
	t.Helper()
	resources := func(asm *assembly.Assembly) map[string]map[string]json.RawMessage {
		all := map[string]map[string]json.RawMessage{}
		for _, s := range asm.Stacks {
			var tmpl struct {
				Resources map[string]json.RawMessage `json:"Resources"`
			}
			if err := json.Unmarshal(s.Template, &tmpl); err != nil {
				t.Fatal(err)
			}
			all[s.Name] = tmpl.Resources
		}
		return all
	}
	old, now := resources(before), resources(after)
	var added []string
	for stack, rs := range now {
		for id, r := range rs {
			prev, ok := old[stack][id]
			switch {
			case !ok:
				added = append(added, id)
			case !reflect.DeepEqual(prev, r):
				t.Errorf("%s: %s changed", stack, id)
			}
		}
	}
	for stack, rs := range old {
		for id := range rs {
			if _, ok := now[stack][id]; !ok {
				t.Errorf("%s: %s went away", stack, id)
			}
		}
	}
	return added
}
