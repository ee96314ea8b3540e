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
			want: "config/limits.yaml:3: reloads: 200 rows would put 2553 KB of schedules (200 rows with their descriptions and variables) in the one stack, more than the 740 KB a stack's template can hold under CloudFormation's 1 MB limit; set scheduleStacks: 5 or more (6 leaves about 20% room to grow); changing scheduleStacks moves rows between stacks",
		},
		{name: "fits the count named", rows: 200, stacks: 5},
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

// TestJumpKnownValues checks jump against the paper's reference C++
// function, compiled and run on these keys (the third is FNV-1a 64 of "a",
// published as 0xaf63dc4c8601ec8c).
func TestJumpKnownValues(t *testing.T) {
	tests := []struct {
		key     uint64
		buckets int
		want    int
	}{
		{0x0, 1, 0},
		{0x0, 7, 0},
		{0x0, 13, 0},
		{0x0, 100, 0},
		{0x0, 1000, 0},
		{0x1, 1, 0},
		{0x1, 7, 6},
		{0x1, 13, 6},
		{0x1, 100, 55},
		{0x1, 1000, 549},
		{0xaf63dc4c8601ec8c, 1, 0},
		{0xaf63dc4c8601ec8c, 7, 2},
		{0xaf63dc4c8601ec8c, 13, 12},
		{0xaf63dc4c8601ec8c, 100, 31},
		{0xaf63dc4c8601ec8c, 1000, 163},
		{0xdeadbeefcafebabe, 1, 0},
		{0xdeadbeefcafebabe, 7, 4},
		{0xdeadbeefcafebabe, 13, 4},
		{0xdeadbeefcafebabe, 100, 89},
		{0xdeadbeefcafebabe, 1000, 144},
		{0xffffffffffffffff, 1, 0},
		{0xffffffffffffffff, 7, 2},
		{0xffffffffffffffff, 13, 10},
		{0xffffffffffffffff, 100, 92},
		{0xffffffffffffffff, 1000, 313},
	}
	for _, tt := range tests {
		if got := jump(tt.key, tt.buckets); got != tt.want {
			t.Errorf("jump(%#x, %d) = %d, want %d", tt.key, tt.buckets, got, tt.want)
		}
	}
}

// TestGrowingStacksMovesFewRows: with 5,000 rows, going from 12 to 13
// stacks moves at most 2 x 5,000/13 rows, each into the new stack.
func TestGrowingStacksMovesFewRows(t *testing.T) {
	const rows = 5000
	moved := 0
	for i := range rows {
		name := fmt.Sprintf("report-%04d", i)
		before, after := StackIndex(name, 12), StackIndex(name, 13)
		if before != after {
			moved++
			if after != 12 {
				t.Errorf("%s moved from stack %d to stack %d; a row may only move to the new stack 12", name, before, after)
			}
		}
	}
	if limit := 2 * rows / 13; moved > limit {
		t.Errorf("12 to 13 stacks moved %d of %d rows, more than %d", moved, rows, limit)
	}
	t.Logf("12 to 13 stacks moved %d of %d rows (1/13 is %d)", moved, rows, rows/13)
}
