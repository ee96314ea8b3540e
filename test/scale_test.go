package test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// TestFiveThousandRowsSynthesize: a table of 5,000 rows loads, spreads
// over the stacks the loader asks for, and synthesizes with every stack
// under CloudFormation's 500 resources and 1 MB, and every row present once.
func TestFiveThousandRowsSynthesize(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes 5,000 schedules")
	}
	const rows = 5000
	var b strings.Builder
	b.WriteString("tenantUrl: https://acme.eu.qlikcloud.com\nreloads:\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "  - name: report-%04d\n    appId: 687ef393-f0ad-4c64-ac59-6db967126015\n    schedule: cron(%d %d ? * MON-FRI *)\n", i, i%60, 6+i/60%12)
	}
	table := b.String()

	// With the default of one schedule stack, the loader refuses the table
	// and names a stack count that fits.
	_, err := config.Load("config/large.yaml", []byte(table))
	var problems config.Problems
	if !errors.As(err, &problems) || len(problems) != 1 || !strings.Contains(problems[0].Message, "scheduleStacks") {
		t.Fatalf("loading %d rows into one stack: got %v, want one problem that names scheduleStacks", rows, err)
	}
	m := regexp.MustCompile(`set scheduleStacks: (\d+) or more`).FindStringSubmatch(problems[0].Message)
	if m == nil {
		t.Fatalf("the problem names no stack count: %s", problems[0].Message)
	}
	stacks, _ := strconv.Atoi(m[1])

	path := filepath.Join(t.TempDir(), "large.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("scheduleStacks: %d\n%s", stacks, table)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatalf("with scheduleStacks: %d: %v", stacks, err)
	}
	asm := synth(t, cfg)
	if len(asm.Stacks) != stacks {
		t.Errorf("got %d stacks, want %d", len(asm.Stacks), stacks)
	}
	schedules := 0
	for _, s := range asm.Stacks {
		counts, err := s.ResourceCounts()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		if total >= 500 {
			t.Errorf("stack %s has %d resources; CloudFormation allows 500", s.Name, total)
		}
		// CloudFormation takes a template of at most 1 MB through S3.
		if size := len(s.Template); size >= 1_000_000 {
			t.Errorf("stack %s's template is %d bytes; CloudFormation allows 1 MB", s.Name, size)
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
}
