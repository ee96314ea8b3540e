package test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// TestNagAwsSolutions runs cdk-nag's AwsSolutions pack over every
// environment in config/, the strict environment of the Control Tower test,
// and variants that exercise the optional resources. No finding may be left unsuppressed, and every suppression
// carries a reason.
func TestNagAwsSolutions(t *testing.T) {
	type variant struct {
		name   string
		path   string
		change func(*config.Config)
	}
	var variants []variant
	for _, path := range append(environments(t), "test/testdata/strict.yaml") {
		variants = append(variants, variant{name: filepath.Base(path), path: path})
	}
	variants = append(variants,
		variant{name: "existing secret, KMS key, reserved concurrency, three stacks", path: "config/example.yaml", change: func(c *config.Config) {
			c.ExistingSecretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qlik/prod-AbCdEf"
			c.KMSKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
			c.ReservedConcurrency = 5
			c.ScheduleStacks = 3
			c.AlarmEmail = "bi-ops@example.com"
		}},
		variant{name: "created secret with KMS key", path: "config/example.yaml", change: func(c *config.Config) {
			c.KMSKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}},
	)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			cfg := loadConfig(t, v.path)
			if v.change != nil {
				v.change(cfg)
			}
			asm := synth(t, cfg, cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: boolPtr(true)}))
			reports, err := filepath.Glob(filepath.Join(asm.Dir, "AwsSolutions-*NagReport.csv"))
			if err != nil {
				t.Fatal(err)
			}
			// cdk-nag writes a report for each stack with resources; a
			// schedule stack no row hashes to has none.
			withResources := 0
			for _, s := range asm.Stacks {
				counts, err := s.ResourceCounts()
				if err != nil {
					t.Fatal(err)
				}
				if len(counts) > 0 {
					withResources++
				}
			}
			if len(reports) != withResources {
				t.Fatalf("got %d cdk-nag reports for %d stacks with resources; did the checks run?", len(reports), withResources)
			}
			checked := 0
			for _, report := range reports {
				rows := readCSV(t, report)
				for _, row := range rows[1:] {
					rule, resource, compliance, reason := row[0], row[1], row[2], row[3]
					checked++
					switch compliance {
					case "Compliant", "N/A":
					case "Suppressed":
						if len(strings.TrimSpace(reason)) < 20 {
							t.Errorf("%s on %s is suppressed without a real reason: %q", rule, resource, reason)
						}
					default:
						t.Errorf("%s on %s: %s (%s)", rule, resource, compliance, row[5])
					}
				}
			}
			if checked == 0 {
				t.Error("cdk-nag reported no checks at all")
			}
		})
	}
}

func boolPtr(b bool) *bool { return &b }

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows
}
