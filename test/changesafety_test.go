package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/stacks"
)

// table writes a config of the given rows, spread over three stacks. The
// rows carry several variables each, so that map order would show if it
// leaked into the templates.
func table(t *testing.T, names []string) *config.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\nscheduleStacks: 3\nreloads:\n")
	for _, name := range names {
		// Each row's schedule derives from its name, not its position.
		minute := 0
		for _, c := range name {
			minute += int(c)
		}
		fmt.Fprintf(&b, "  - name: %s\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(%d 6 ? * MON-FRI *)\n", name, minute%60)
		fmt.Fprintf(&b, "    variables: {vZeta: z, vAlpha: a, vMid: m, vBeta: b}\n")
	}
	cfg, err := config.Load("config/safety.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func rowNames(n int) []string {
	var names []string
	for i := 0; i < n; i++ {
		names = append(names, fmt.Sprintf("report-%02d", i))
	}
	return names
}

// templates returns each stack's template by stack name.
func templates(asm *assembly.Assembly) map[string][]byte {
	m := make(map[string][]byte)
	for _, s := range asm.Stacks {
		m[s.Name] = s.Template
	}
	return m
}

// resources parses a template into its resources and everything else.
func resources(t *testing.T, tmpl []byte) (map[string]json.RawMessage, map[string]json.RawMessage) {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(tmpl, &doc); err != nil {
		t.Fatal(err)
	}
	res := map[string]json.RawMessage{}
	if raw, ok := doc["Resources"]; ok {
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
	}
	delete(doc, "Resources")
	return res, doc
}

// diffResources returns the logical IDs added and removed between two
// versions of a stack, and fails if any resource present in both, or
// anything outside Resources, changed.
func diffResources(t *testing.T, stack string, before, after []byte) (added, removed []string) {
	t.Helper()
	added, removed, changed := compareResources(t, stack, before, after)
	for _, c := range changed {
		t.Errorf("%s: resource %s", stack, c)
	}
	return added, removed
}

// compareResources returns the logical IDs added and removed between two
// versions of a stack, and for each resource present in both that changed,
// its ID and the change; it fails if anything outside Resources changed.
func compareResources(t *testing.T, stack string, before, after []byte) (added, removed, changed []string) {
	t.Helper()
	resBefore, restBefore := resources(t, before)
	resAfter, restAfter := resources(t, after)
	for id, r := range resAfter {
		old, ok := resBefore[id]
		switch {
		case !ok:
			added = append(added, id)
		case !bytes.Equal(old, r):
			changed = append(changed, id+" changed:\n"+cmp.Diff(string(old), string(r)))
		}
	}
	for id := range resBefore {
		if _, ok := resAfter[id]; !ok {
			removed = append(removed, id)
		}
	}
	if diff := cmp.Diff(fmt.Sprint(restBefore), fmt.Sprint(restAfter)); diff != "" {
		t.Errorf("%s: outputs, parameters or other sections changed:\n%s", stack, diff)
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(changed)
	return added, removed, changed
}

func TestReorderingRowsChangesNothing(t *testing.T) {
	names := rowNames(30)
	before := templates(synth(t, table(t, names)))
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	after := templates(synth(t, table(t, reversed)))
	if diff := cmp.Diff(keys(before), keys(after)); diff != "" {
		t.Fatalf("stacks changed (-before +after):\n%s", diff)
	}
	for name, tmpl := range before {
		if !bytes.Equal(tmpl, after[name]) {
			t.Errorf("stack %s changed when the rows were reordered", name)
		}
	}
}

func TestSynthIsDeterministic(t *testing.T) {
	cfg := table(t, rowNames(30))
	first, second := templates(synth(t, cfg)), templates(synth(t, cfg))
	for name, tmpl := range first {
		if !bytes.Equal(tmpl, second[name]) {
			t.Errorf("stack %s differs between two synths of the same config", name)
		}
	}
}

// TestAddingOrRemovingARowTouchesOneSchedule: adding a row adds exactly one
// schedule, in the stack its name hashes to, and changes nothing else;
// removing it removes exactly that schedule.
func TestAddingOrRemovingARowTouchesOneSchedule(t *testing.T) {
	names := rowNames(30)
	const extra = "late-addition"
	before := templates(synth(t, table(t, names)))
	after := templates(synth(t, table(t, append(slices.Clone(names), extra))))
	wantStack := stacks.StackName("safety", config.StackIndex(extra, 3))

	for _, step := range []struct {
		name          string
		from, to      map[string][]byte
		added, remove int
	}{
		{name: "add", from: before, to: after, added: 1},
		{name: "remove", from: after, to: before, remove: 1},
	} {
		t.Run(step.name, func(t *testing.T) {
			if diff := cmp.Diff(keys(step.from), keys(step.to)); diff != "" {
				t.Fatalf("stacks changed (-before +after):\n%s", diff)
			}
			for stack := range step.from {
				added, removed := diffResources(t, stack, step.from[stack], step.to[stack])
				wantAdded, wantRemoved := 0, 0
				if stack == wantStack {
					wantAdded, wantRemoved = step.added, step.remove
				}
				if len(added) != wantAdded || len(removed) != wantRemoved {
					t.Errorf("%s: added %v, removed %v; want %d added and %d removed", stack, added, removed, wantAdded, wantRemoved)
				}
				for _, id := range append(added, removed...) {
					if !strings.Contains(id, "latea") {
						t.Errorf("%s: resource %s changed, not the row %s", stack, id, extra)
					}
				}
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}

// TestAddingChainOrEventRowTouchesOnlyIt: a row with on adds its rule to
// the core stack and its ARN to the two queue policies, nothing else; a
// row with after, in a table that has chains, adds no resource and changes
// none (the graph in the function's code, which tests do not build, is
// what changes).
func TestAddingChainOrEventRowTouchesOnlyIt(t *testing.T) {
	names := rowNames(12)
	base := func(extra string) *config.Config {
		t.Helper()
		var b strings.Builder
		b.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\nscheduleStacks: 3\nreloads:\n")
		for _, name := range names {
			fmt.Fprintf(&b, "  - {name: %s, appId: 687ef393-f0ad-4c64-ac59-6db967126015, schedule: cron(0 6 ? * MON-FRI *)}\n", name)
		}
		b.WriteString("  - {name: files-a, appId: 687ef393-f0ad-4c64-ac59-6db967126015, on: {s3: {bucket: acme-a}}}\n")
		// A first chain gives the watcher its chain settings; another
		// only changes the graph in the function's code.
		b.WriteString("  - {name: chain-a, appId: 687ef393-f0ad-4c64-ac59-6db967126015, after: files-a}\n")
		b.WriteString(extra)
		cfg, err := config.Load("config/safety.yaml", []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	before := templates(synth(t, base("")))
	core := stacks.StackName("safety", 0)

	t.Run("on", func(t *testing.T) {
		after := templates(synth(t, base("  - {name: late-files, appId: 687ef393-f0ad-4c64-ac59-6db967126015, on: {s3: {bucket: acme-b}}}\n")))
		for stack := range before {
			added, removed, changed := compareResources(t, stack, before[stack], after[stack])
			if stack != core {
				if len(added)+len(removed)+len(changed) > 0 {
					t.Errorf("%s: added %v, removed %v, changed %v; want nothing", stack, added, removed, changed)
				}
				continue
			}
			if len(added) != 1 || !strings.HasPrefix(added[0], "Eventslatefiles") || len(removed) != 0 {
				t.Errorf("%s: added %v, removed %v; want the rule of late-files only", stack, added, removed)
			}
			if len(changed) != 2 {
				t.Errorf("%s: %d resources changed, want the two queue policies:\n%s", stack, len(changed), strings.Join(changed, "\n"))
			}
			resBefore, _ := resources(t, before[stack])
			resAfter, _ := resources(t, after[stack])
			for _, c := range changed {
				if !strings.Contains(c, "QueuePolicy") || !strings.Contains(c, "Eventslatefiles") {
					t.Errorf("%s: want only late-files' rule ARN added to a queue policy:\n%s", stack, c)
				}
				// The policy itself, not the text of its diff, is compared:
				// one more ARN in the list and none removed.
				id, _, _ := strings.Cut(c, " changed:")
				checkPolicyAddsArn(t, stack+"/"+id, resBefore[id], resAfter[id], "Eventslatefiles")
			}
		}
	})
	t.Run("after", func(t *testing.T) {
		after := templates(synth(t, base("  - {name: late-chain, appId: 687ef393-f0ad-4c64-ac59-6db967126015, after: files-a}\n")))
		for stack := range before {
			added, removed, changed := compareResources(t, stack, before[stack], after[stack])
			if len(added)+len(removed) > 0 || len(changed) > 0 {
				t.Errorf("%s: added %v, removed %v, changed %v; want nothing", stack, added, removed, changed)
			}
		}
	})
}

// checkPolicyAddsArn fails unless after is the queue policy before with
// one more entry in a statement's aws:SourceArn list, the Arn of a resource
// whose logical ID starts with prefix, no entry removed and nothing else
// changed.
func checkPolicyAddsArn(t *testing.T, id string, before, after json.RawMessage, prefix string) {
	t.Helper()
	var old, changed map[string]any
	if err := json.Unmarshal(before, &old); err != nil {
		t.Fatalf("%s before: %v", id, err)
	}
	if err := json.Unmarshal(after, &changed); err != nil {
		t.Fatalf("%s after: %v", id, err)
	}
	for _, r := range []map[string]any{old, changed} {
		if r["Type"] != "AWS::SQS::QueuePolicy" {
			t.Errorf("%s is a %v, not a queue policy", id, r["Type"])
			return
		}
	}
	oldStatements, statements := policyStatements(old), policyStatements(changed)
	if len(oldStatements) != len(statements) {
		t.Errorf("%s: %d statements, want the %d it had", id, len(statements), len(oldStatements))
		return
	}
	var added []any
	for i, s := range statements {
		arns, ok := sourceArns(s)
		if !ok {
			continue
		}
		oldArns, _ := sourceArns(oldStatements[i])
		for _, a := range oldArns {
			if !slices.ContainsFunc(arns, func(b any) bool { return cmp.Equal(a, b) }) {
				t.Errorf("%s: statement %d lost the source ARN %v", id, i, a)
			}
		}
		for _, b := range arns {
			if !slices.ContainsFunc(oldArns, func(a any) bool { return cmp.Equal(a, b) }) {
				added = append(added, b)
			}
		}
		// With the old list back in place, the rest of the policy must
		// be as it was.
		s["Condition"].(map[string]any)["ArnEquals"].(map[string]any)["aws:SourceArn"] = sourceArnValue(oldStatements[i])
	}
	if diff := cmp.Diff(old, changed); diff != "" {
		t.Errorf("%s: changed beyond its source ARNs (-before +after):\n%s", id, diff)
	}
	if len(added) != 1 || !isArnOf(added[0], prefix) {
		t.Errorf("%s: source ARNs added %v, want the Arn of %s only", id, added, prefix)
	}
}

// policyStatements returns the statements of a queue policy resource.
func policyStatements(r map[string]any) []map[string]any {
	props, _ := r["Properties"].(map[string]any)
	doc, _ := props["PolicyDocument"].(map[string]any)
	list, _ := doc["Statement"].([]any)
	var statements []map[string]any
	for _, s := range list {
		m, _ := s.(map[string]any)
		statements = append(statements, m)
	}
	return statements
}

// sourceArnValue returns a statement's aws:SourceArn as the template holds
// it, or nil.
func sourceArnValue(s map[string]any) any {
	cond, _ := s["Condition"].(map[string]any)
	equals, _ := cond["ArnEquals"].(map[string]any)
	return equals["aws:SourceArn"]
}

// sourceArns returns a statement's aws:SourceArn as a list, which the
// template holds as one value when it has one entry.
func sourceArns(s map[string]any) ([]any, bool) {
	switch v := sourceArnValue(s).(type) {
	case nil:
		return nil, false
	case []any:
		return v, true
	default:
		return []any{v}, true
	}
}

// isArnOf reports whether v is the Arn attribute of a resource whose
// logical ID starts with prefix.
func isArnOf(v any, prefix string) bool {
	m, _ := v.(map[string]any)
	att, _ := m["Fn::GetAtt"].([]any)
	if len(att) != 2 || att[1] != "Arn" {
		return false
	}
	name, _ := att[0].(string)
	return strings.HasPrefix(name, prefix)
}
