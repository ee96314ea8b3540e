package config

import (
	"fmt"
	"strings"
	"testing"
)

// limitsTableYAML returns a file with n rows at the field limits: a
// 512-character description and 20 variables whose names and values are
// 256 characters long, a few of them characters that JSON escapes.
func limitsTableYAML(n, stacks int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "tenantUrl: https://acme.eu.qlikcloud.com\nscheduleStacks: %d\nreloads:\n", stacks)
	for i := range n {
		fmt.Fprintf(&b, "  - name: limits-%04d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(%d 6 ? * MON-FRI *)\n", i, i%60)
		fmt.Fprintf(&b, "    description: '%s'\n    variables:\n", strings.Repeat("d", 512))
		for v := range 20 {
			fmt.Fprintf(&b, "      %s%03d: '%s'\n", strings.Repeat("v", 253), v, strings.Repeat("x", 251)+`<"&''x`)
		}
	}
	return []byte(b.String())
}

// TestStackCapacityBySize: rows at the field limits fill a stack's template
// long before its resource count, and the loader names the stack count that
// fits them.
func TestStackCapacityBySize(t *testing.T) {
	tests := []struct {
		name   string
		rows   int
		stacks int
		want   string
	}{
		{name: "fits one stack", rows: 20, stacks: 1},
		{
			name: "too large for one stack", rows: 200, stacks: 1,
			want: "config/limits.yaml:3: reloads: 200 rows would put 2536 KB of schedules (200 rows with their descriptions and variables) in the one stack, more than the 740 KB a stack's template can hold under CloudFormation's 1 MB limit; set scheduleStacks: 4 or more (6 leaves about 20% room to grow); changing scheduleStacks moves rows between stacks",
		},
		{name: "fits the count named", rows: 200, stacks: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("config/limits.yaml", limitsTableYAML(tt.rows, tt.stacks))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Load error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestStackLoads: the loads add up to the rows, and RoomyStackCount keeps
// every stack at or below 80% of its capacity.
func TestStackLoads(t *testing.T) {
	cfg, err := Load("config/big.yaml", tableYAML(2000, 5))
	if err != nil {
		t.Fatal(err)
	}
	loads := StackLoads(cfg.Name, cfg.Reloads, cfg.ScheduleStacks)
	schedules, bytes := 0, 0
	for i, l := range loads {
		if l.Index != i {
			t.Errorf("load %d has index %d", i, l.Index)
		}
		schedules += l.Schedules
		bytes += l.Bytes
	}
	want := 0
	for _, r := range cfg.Reloads {
		want += r.ScheduleBytes(cfg.Name)
	}
	if schedules != len(cfg.Reloads) || bytes != want {
		t.Errorf("loads hold %d schedules of %d bytes, want %d of %d", schedules, bytes, len(cfg.Reloads), want)
	}
	n := RoomyStackCount(cfg.Name, cfg.Reloads)
	for _, l := range StackLoads(cfg.Name, cfg.Reloads, n) {
		if l.Fullness() > roomyFullness {
			t.Errorf("with %d stacks, stack %d is %.0f%% full", n, l.Index, 100*l.Fullness())
		}
	}
	if n > 1 {
		over := false
		for _, l := range StackLoads(cfg.Name, cfg.Reloads, n-1) {
			over = over || l.Fullness() > roomyFullness
		}
		if !over {
			t.Errorf("RoomyStackCount = %d, but %d stacks are already at most 80%% full", n, n-1)
		}
	}
}
