package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the schema editors use through the first line of each
// config file.
var schemaPath = filepath.Join("..", "..", "config", "schema.json")

// readSchema returns the schema's JSON document and the compiled schema.
func readSchema(t *testing.T) (map[string]any, *jsonschema.Schema) {
	t.Helper()
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return doc.(map[string]any), compiled
}

// asJSONValue reads a YAML file as the value an editor validates: YAML
// decoded, then seen as JSON.
func asJSONValue(t *testing.T, path string) (any, bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, false
	}
	encoded, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(encoded))
	if err != nil {
		t.Fatal(err)
	}
	return value, true
}

func object(t *testing.T, v any, path ...string) map[string]any {
	t.Helper()
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("schema: %v is not an object", path)
		}
		v = m[key]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("schema: %v is not an object", path)
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestSchemaAgreesWithLoader keeps config/schema.json and the loader in
// step, so that an editor accepts what a synth accepts.
func TestSchemaAgreesWithLoader(t *testing.T) {
	doc, schema := readSchema(t)

	t.Run("keys", func(t *testing.T) {
		fileKeys := keysOf(configRules)
		rowKeys := keysOf(reloadRules)
		slices.Sort(fileKeys)
		slices.Sort(rowKeys)
		if diff := cmp.Diff(sortedKeys(object(t, doc, "properties")), fileKeys); diff != "" {
			t.Errorf("file keys (-schema +loader):\n%s", diff)
		}
		if diff := cmp.Diff(sortedKeys(object(t, doc, "$defs", "reload", "properties")), rowKeys); diff != "" {
			t.Errorf("row keys (-schema +loader):\n%s", diff)
		}
	})

	t.Run("defaults and limits", func(t *testing.T) {
		props := object(t, doc, "properties")
		row := object(t, doc, "$defs", "reload", "properties")
		number := func(v any) any {
			if n, ok := v.(json.Number); ok {
				i, _ := n.Int64()
				return int(i)
			}
			return v
		}
		checks := []struct {
			what string
			got  any
			want any
		}{
			{"timezone default", props["timezone"].(map[string]any)["default"], defaultTimezone},
			{"waitSeconds default", number(props["waitSeconds"].(map[string]any)["default"]), defaultWaitSeconds},
			{"waitSeconds maximum", number(props["waitSeconds"].(map[string]any)["maximum"]), maxWaitSeconds},
			{"concurrency default", number(props["concurrency"].(map[string]any)["default"]), defaultConcurrency},
			{"concurrency minimum", number(props["concurrency"].(map[string]any)["minimum"]), minConcurrency},
			{"concurrency maximum", number(props["concurrency"].(map[string]any)["maximum"]), maxConcurrency},
			{"maxDelayMinutes default", number(props["maxDelayMinutes"].(map[string]any)["default"]), defaultMaxDelayMinutes},
			{"maxDelayMinutes maximum", number(object(t, doc, "$defs", "maxDelayMinutes")["maximum"]), maxDelayMinutesLimit},
			{"historyDays default", number(props["historyDays"].(map[string]any)["default"]), defaultHistoryDays},
			{"historyDays minimum", number(props["historyDays"].(map[string]any)["minimum"]), minHistoryDays},
			{"historyDays maximum", number(props["historyDays"].(map[string]any)["maximum"]), maxHistoryDays},
			{"scheduleStacks default", number(props["scheduleStacks"].(map[string]any)["default"]), defaultScheduleStacks},
			{"scheduleStacks maximum", number(props["scheduleStacks"].(map[string]any)["maximum"]), maxScheduleStacks},
			{"logRetentionDays default", number(props["logRetentionDays"].(map[string]any)["default"]), defaultLogRetentionDays},
			{"flexibleWindowMinutes default", number(props["flexibleWindowMinutes"].(map[string]any)["default"]), defaultFlexibleWindowMinutes},
			{"flexibleWindowMinutes maximum", number(object(t, doc, "$defs", "flexibleWindowMinutes")["maximum"]), maxFlexibleWindow},
			{"enabled default", row["enabled"].(map[string]any)["default"], defaultEnabled},
			{"name maxLength", number(row["name"].(map[string]any)["maxLength"]), maxRowNameLength},
			{"description maxLength", number(row["description"].(map[string]any)["maxLength"]), maxDescriptionLength},
			{"variables maxProperties", number(row["variables"].(map[string]any)["maxProperties"]), maxVariables},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: schema has %v, loader %v", c.what, c.got, c.want)
			}
		}
		var enum []int
		for _, v := range props["logRetentionDays"].(map[string]any)["enum"].([]any) {
			enum = append(enum, number(v).(int))
		}
		if diff := cmp.Diff(enum, logRetentionValues); diff != "" {
			t.Errorf("logRetentionDays values (-schema +loader):\n%s", diff)
		}
	})

	t.Run("valid files pass", func(t *testing.T) {
		valid, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
		environments, _ := filepath.Glob(filepath.Join("..", "..", "config", "*.yaml"))
		for _, path := range append(valid, environments...) {
			v, ok := asJSONValue(t, path)
			if !ok {
				t.Errorf("%s: not readable as YAML", path)
				continue
			}
			if err := schema.Validate(v); err != nil {
				t.Errorf("%s: the schema rejects a file the loader accepts: %v", path, err)
			}
		}
	})

	t.Run("invalid files the schema can judge fail", func(t *testing.T) {
		for _, tt := range invalidFiles {
			if !tt.schema {
				continue
			}
			path := filepath.Join("testdata", "invalid", tt.file)
			v, ok := asJSONValue(t, path)
			if !ok {
				t.Errorf("%s: marked for the schema but not readable as YAML", path)
				continue
			}
			if err := schema.Validate(v); err == nil {
				t.Errorf("%s: the schema accepts a file the loader rejects (%s)", path, tt.want[0])
			}
		}
	})
}
