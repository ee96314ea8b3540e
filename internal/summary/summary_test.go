package summary

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/clock"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// now is a Saturday morning in November: Europe/Stockholm is on CET.
var now = time.Date(2026, 11, 28, 7, 41, 30, 0, time.UTC)

func load(t *testing.T, path string) *config.Config {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, raw)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestWrite(t *testing.T) {
	asm, err := assembly.Load(filepath.Join("testdata", "assembly"))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "demo", asm)
}

// TestWriteChainsAndEvents: chains are drawn as trees under the rows that
// start them, each event row's trigger is named, and neither counts in the
// busiest minute.
func TestWriteChainsAndEvents(t *testing.T) {
	checkGolden(t, "chains", fakeAssemblyWithRules(t, 2, 3))
}

// checkGolden compares the summary of testdata/name.yaml with
// testdata/name.golden.
func checkGolden(t *testing.T, name string, asm *assembly.Assembly) {
	t.Helper()
	cfg := load(t, filepath.Join("testdata", name+".yaml"))
	var got bytes.Buffer
	if err := Write(&got, cfg, asm, now); err != nil {
		t.Fatal(err)
	}
	if name != "demo" {
		// A temporary directory's name changes with every run.
		got = *bytes.NewBufferString(strings.Replace(got.String(), asm.Dir, "cdk.out", 1))
	}
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got.String(), string(want)); diff != "" {
		t.Errorf("summary (-got +want), refresh with -update if intended:\n%s", diff)
	}
}

// TestWriteWarnsOfBursts: 60 rows starting at 08:00 on Wednesdays exceed
// what Qlik accepts in a minute, and the summary says so, and how to spread
// them, on whichever day of the week it runs.
func TestWriteWarnsOfBursts(t *testing.T) {
	var yaml strings.Builder
	yaml.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\nreloads:\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&yaml, "  - name: app-%02d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126%03d\n    schedule: cron(0 8 ? * WED *)\n", i, i)
	}
	cfg, err := config.Load("config/burst.yaml", []byte(yaml.String()))
	if err != nil {
		t.Fatal(err)
	}
	asm := fakeAssembly(t, 60)
	// A Monday morning, a week before the week the check looks at.
	fake := clock.NewFake(time.Date(2026, 11, 30, 7, 41, 30, 0, time.UTC))
	for range 7 {
		var got bytes.Buffer
		if err := Write(&got, cfg, asm, fake.Now()); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"Busiest minute in the week from Mon 7 Dec 2026: Wed 9 Dec 08:00 UTC, 60 reload starts.",
			"more than the 50 a minute Qlik accepts",
			"wait on the\n  start queue",
			"TooLate",
			"flexibleWindowMinutes",
		} {
			if !strings.Contains(got.String(), want) {
				t.Errorf("summary on %s lacks %q:\n%s", fake.Now().Weekday(), want, got.String())
			}
		}
		fake.Advance(24 * time.Hour)
	}
}

// TestWriteBusiestMinute: the line is there whatever the busiest minute
// holds, so that the summary always says what the README promises.
func TestWriteBusiestMinute(t *testing.T) {
	tests := []struct {
		name, rows, want string
	}{
		{
			name: "two starts",
			rows: "  - {name: a, appId: 687ef393-f0ad-4c64-ac59-6db967126015, schedule: cron(0 8 ? * MON *)}\n" +
				"  - {name: b, appId: 3b5d8c1e-9a47-4f02-b6e3-2c1f0a9d7e54, schedule: cron(0 8 ? * MON-FRI *)}\n",
			want: "Busiest minute in the week from Mon 30 Nov 2026: Mon 30 Nov 08:00 UTC, 2 reload starts (Qlik accepts 50 a minute).",
		},
		{
			name: "one start at most",
			rows: "  - {name: a, appId: 687ef393-f0ad-4c64-ac59-6db967126015, schedule: cron(0 8 ? * MON *)}\n",
			want: "Busiest minute in the week from Mon 30 Nov 2026: no minute holds more than one reload start (Qlik accepts 50 a minute).",
		},
		{
			name: "no fixed minute",
			rows: "  - {name: a, appId: 687ef393-f0ad-4c64-ac59-6db967126015, schedule: rate(1 hour)}\n",
			want: "Busiest minute in the week from Mon 30 Nov 2026: no row starts at a fixed minute (rates and flexible windows are left out).",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load("config/week.yaml", []byte("tenantUrl: https://acme.eu.qlikcloud.com\nreloads:\n"+tt.rows))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := Write(&got, cfg, fakeAssembly(t, len(cfg.Reloads)), now); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got.String(), tt.want) {
				t.Errorf("summary lacks %q:\n%s", tt.want, got.String())
			}
		})
	}
}

// TestWriteRefusesAStaleAssembly: an assembly synthesized from another
// version of the table must not be summarized as this one.
func TestWriteRefusesAStaleAssembly(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "demo.yaml"))
	err := Write(&bytes.Buffer{}, cfg, fakeAssembly(t, 1), now)
	if err == nil || !strings.Contains(err.Error(), "synthesize again") {
		t.Fatalf("got %v, want an error that says to synthesize again", err)
	}
}

// fakeAssembly writes an assembly of one stack holding n schedules.
func fakeAssembly(t *testing.T, n int) *assembly.Assembly {
	t.Helper()
	return fakeAssemblyWithRules(t, n, 0)
}

// fakeAssemblyWithRules writes an assembly of one stack holding n schedules
// and rules event rules.
func fakeAssemblyWithRules(t *testing.T, n, rules int) *assembly.Assembly {
	t.Helper()
	dir := t.TempDir()
	var resources []string
	for i := 0; i < n; i++ {
		resources = append(resources, fmt.Sprintf(`"S%d": {"Type": "AWS::Scheduler::Schedule"}`, i))
	}
	for i := 0; i < rules; i++ {
		resources = append(resources, fmt.Sprintf(`"R%d": {"Type": "AWS::Events::Rule"}`, i))
	}
	files := map[string]string{
		"manifest.json":   `{"artifacts": {"QlikReloads-burst": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "t.template.json"}}}}`,
		"t.template.json": `{"Resources": {` + strings.Join(resources, ",") + `}}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	asm, err := assembly.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return asm
}

// TestCapacityWarning: a stack above 80% of its capacity is named, with the
// stack count that keeps every stack under 80% and the rows that change
// moves; a roomy table prints nothing.
func TestCapacityWarning(t *testing.T) {
	rows := func(n int) []config.Reload {
		var rs []config.Reload
		for i := range n {
			rs = append(rs, config.Reload{Name: fmt.Sprintf("report-%04d", i), AppID: "687ef393-f0ad-4c64-ac59-6db967126015", Schedule: "rate(1 day)", Timezone: "UTC"})
		}
		return rs
	}
	tests := []struct {
		name   string
		rows   int
		stacks int
		want   string
	}{
		{name: "roomy", rows: 300, stacks: 1},
		{
			name: "one stack nearly full", rows: 400, stacks: 1,
			want: "  Warning: stack 0 is 89% full (400 of 450 schedules, 594 of 740 KB of template).\n" +
				"  Set scheduleStacks: 2 to keep every stack under 80%; that moves 184 of 400 rows to other stacks, each schedule replaced once.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			writeCapacity(&got, &config.Config{Name: "demo", ScheduleStacks: tt.stacks, Reloads: rows(tt.rows)})
			if diff := cmp.Diff(got.String(), tt.want); diff != "" {
				t.Errorf("warning (-got +want):\n%s", diff)
			}
		})
	}
}
