package assembly

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoad(t *testing.T) {
	a, err := Load(filepath.Join("testdata", "two-stacks"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range a.Stacks {
		counts, err := s.ResourceCounts()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSpace(s.Name+" "+s.TemplateFile+" "+formatCounts(counts)))
	}
	want := []string{
		"QlikReloads-demo QlikReloads-demo.template.json AWS::Lambda::Function=1 AWS::Scheduler::Schedule=2",
		"QlikReloads-demo-schedules-1 QlikReloads-demo-schedules-1.template.json",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("stacks (-got +want):\n%s", diff)
	}
}

// formatCounts writes counts as sorted TYPE=N pairs.
func formatCounts(counts map[string]int) string {
	var pairs []string
	for typ, n := range counts {
		pairs = append(pairs, fmt.Sprintf("%s=%d", typ, n))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, " ")
}

func TestLoadTellsHowToSynthesize(t *testing.T) {
	_, err := Load(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "synthesize first") {
		t.Fatalf("Load of an empty directory: got %v, want an error that says to synthesize first", err)
	}
}

func TestMask(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "two-stacks", "QlikReloads-demo.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := string(Mask(raw))
	if !strings.Contains(got, `"S3Key": "ASSET-HASH.zip"`) {
		t.Errorf("masked template keeps its asset hash:\n%s", got)
	}
	if !strings.Contains(got, `"ScheduleExpression": "cron(0 6 ? * MON-FRI *)"`) {
		t.Errorf("masking changed more than the asset hash:\n%s", got)
	}
}
