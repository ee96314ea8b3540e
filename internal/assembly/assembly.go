// Package assembly reads a synthesized CDK cloud assembly (cdk.out): its
// stacks, their templates and what they hold. It serves the synth summary,
// the golden-template tests and the offline diff, none of which should need
// the CDK itself.
package assembly

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Assembly is a cloud assembly's stacks, ordered by name.
type Assembly struct {
	// Dir is the assembly's directory.
	Dir string
	// Stacks are the CloudFormation stacks of the assembly.
	Stacks []Stack
}

// Stack is one CloudFormation stack of an assembly.
type Stack struct {
	// Name is the CloudFormation stack name.
	Name string
	// TemplateFile is the template's file name within the assembly.
	TemplateFile string
	// Template is the template's JSON, as written by the CDK.
	Template []byte
}

// manifest is the part of manifest.json this package reads.
type manifest struct {
	Artifacts map[string]struct {
		Type       string `json:"type"`
		Properties struct {
			TemplateFile string `json:"templateFile"`
			StackName    string `json:"stackName"`
		} `json:"properties"`
	} `json:"artifacts"`
}

// Load reads the assembly in dir.
func Load(dir string) (*Assembly, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no cloud assembly (no manifest.json); synthesize first, for example with make synth", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read cloud assembly: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	a := &Assembly{Dir: dir}
	for id, art := range m.Artifacts {
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		name := art.Properties.StackName
		if name == "" {
			name = id
		}
		tmpl, err := os.ReadFile(filepath.Join(dir, art.Properties.TemplateFile))
		if err != nil {
			return nil, fmt.Errorf("read template of stack %s: %w", name, err)
		}
		a.Stacks = append(a.Stacks, Stack{Name: name, TemplateFile: art.Properties.TemplateFile, Template: tmpl})
	}
	sort.Slice(a.Stacks, func(i, j int) bool { return a.Stacks[i].Name < a.Stacks[j].Name })
	return a, nil
}

// ResourceCounts returns how many resources of each type the template
// declares.
func (s Stack) ResourceCounts() (map[string]int, error) {
	var t struct {
		Resources map[string]struct {
			Type string `json:"Type"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(s.Template, &t); err != nil {
		return nil, fmt.Errorf("read template of stack %s: %w", s.Name, err)
	}
	counts := make(map[string]int)
	for _, r := range t.Resources {
		counts[r.Type]++
	}
	return counts, nil
}

// CoreStackName is the name of an environment's core stack, which holds the
// ledger and names it in the output LedgerTableOutput: the stacks name it so,
// and make history looks it up so.
func CoreStackName(environment string) string { return "QlikReloads-" + environment }

// LedgerTableOutput is the core stack's output that names the ledger table.
const LedgerTableOutput = "LedgerTableName"

// WatcherScheduleSuffix ends the name of the watcher's schedule, the one
// schedule of an environment that is not a row's. Rows' schedules carry no
// name of their own (CloudFormation generates it).
const WatcherScheduleSuffix = "-Watcher"

// RowSchedules returns how many schedules of the template are rows': every
// AWS::Scheduler::Schedule but the watcher's.
func (s Stack) RowSchedules() (int, error) {
	var t struct {
		Resources map[string]struct {
			Type       string `json:"Type"`
			Properties struct {
				Name any `json:"Name"`
			} `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(s.Template, &t); err != nil {
		return 0, fmt.Errorf("read template of stack %s: %w", s.Name, err)
	}
	n := 0
	for _, r := range t.Resources {
		name, _ := r.Properties.Name.(string)
		if r.Type == "AWS::Scheduler::Schedule" && !strings.HasSuffix(name, WatcherScheduleSuffix) {
			n++
		}
	}
	return n, nil
}

// assetHash matches the SHA-256 asset hashes the CDK writes into templates
// (S3 keys of the function's code, asset metadata).
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// MaskedHash replaces every asset hash in a masked template.
const MaskedHash = "ASSET-HASH"

// Mask replaces every asset hash in a template with MaskedHash, so that a
// template can be compared with a golden copy without pinning the bytes of
// the function's binary, which change with every handler edit.
func Mask(template []byte) []byte {
	return assetHash.ReplaceAll(template, []byte(MaskedHash))
}
