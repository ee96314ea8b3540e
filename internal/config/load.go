package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/suggest"
)

// maxNameLength bounds the environment name: it is part of every stack name,
// and CloudFormation stack names are limited to 128 characters.
const maxNameLength = 40

var environmentName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// LoadFile reads and loads the configuration file at path (see Load). A
// missing file is an error that names the YAML files next to it.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read config file: %w%s", err, siblings(filepath.Dir(path)))
		}
		return nil, fmt.Errorf("read config file: %w", err)
	}
	return Load(path, data)
}

// siblings names the environments in dir, the YAML files there by the
// name make's ENV= takes, to point at the right name when a file is
// missing.
func siblings(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var names []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, strings.TrimSuffix(e.Name(), ext))
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("; %s holds no YAML files", dir)
	}
	return fmt.Sprintf("; the environments in %s are %s (choose one with ENV=%s)", dir, strings.Join(names, ", "), names[0])
}

// Load parses and validates one environment's configuration. path names
// the file in messages and gives the environment its name (config/prod.yaml
// is "prod"); it is never opened, so Load is a pure function of its
// arguments.
//
// Load is strict: an unknown key, a value of the wrong type, a duplicate key
// or row name and every rule in this package are problems. It reports them
// all at once: the error is then a Problems, sorted by line, and the
// Config is nil. On success every default has been applied (see
// applyDefaults).
func Load(path string, data []byte) (*Config, error) {
	d := &decoder{file: path, zones: map[string]zoneCheck{}}
	name := d.environmentName(path)

	file := d.parseYAML(data)
	var raw rawConfig
	if file != nil {
		d.decodeFile(file, &raw)
	}
	cfg := applyDefaults(name, path, &raw)
	if file != nil {
		d.checkRows(&raw, cfg)
		d.checkStarts(&raw)
	}

	if len(d.problems) > 0 {
		d.problems.sortByLine()
		return nil, d.problems
	}
	d.warnings.sortByLine()
	cfg.Warnings = d.warnings
	return cfg, nil
}

// environmentName derives the environment's name from the file name and
// reports a name CloudFormation would not accept in a stack name.
func (d *decoder) environmentName(path string) string {
	base := filepath.Base(path)
	name := strings.TrimSuffix(base, filepath.Ext(base))
	switch {
	case !environmentName.MatchString(name):
		suggestion := strings.Trim(regexp.MustCompile(`[^A-Za-z0-9-]+`).ReplaceAllString(name, "-"), "-")
		hint := ""
		if environmentName.MatchString(suggestion) && len(suggestion) <= maxNameLength {
			hint = fmt.Sprintf(", for example to %s%s", suggestion, filepath.Ext(base))
		}
		d.add(0, "", "the file name gives the environment name %q, which must start with a letter and hold only letters, digits and hyphens, since it becomes part of the stack names; rename the file%s", name, hint)
	case len(name) > maxNameLength:
		d.add(0, "", "the file name gives the environment name %q, which is %d characters; the limit is %d, since it becomes part of the stack names; rename the file", name, len(name), maxNameLength)
	}
	return name
}

// decoder collects problems while it walks the YAML tree.
type decoder struct {
	file     string
	problems Problems
	// warnings are what the file sets validly but probably does not mean.
	warnings Problems
	// zones caches time zone checks: a large table names few zones, and
	// loading one reads the zone database.
	zones map[string]zoneCheck
}

func (d *decoder) add(line int, field, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// warn records a warning: something the file sets validly that is probably
// a mistake. Load returns warnings with the Config, for the summary.
func (d *decoder) warn(line int, field, format string, args ...any) {
	d.warnings = append(d.warnings, Problem{File: d.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// parseYAML parses the file into its single document's body, or reports
// why it cannot and returns nil.
func (d *decoder) parseYAML(data []byte) ast.Node {
	// Duplicate keys are allowed here so that they are reported like any
	// other problem, with both lines, instead of stopping the parse.
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		line, msg := 1, err.Error()
		var yerr yaml.Error
		if errors.As(err, &yerr) {
			msg = yerr.GetMessage()
			if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
				line = tk.Position.Line
			}
		}
		// An indentation mistake is reported on a line before the one to
		// fix; point at that one instead, and say how to fix it.
		if n, hint := layoutProblem(data); n >= line && n <= line+2 {
			line, msg = n, hint
		}
		d.add(line, "", "invalid YAML: %s", msg)
		return nil
	}
	var bodies []*ast.DocumentNode
	for _, doc := range file.Docs {
		if doc.Body != nil {
			bodies = append(bodies, doc)
		}
	}
	switch {
	case len(bodies) == 0:
		d.add(1, "", "the file is empty; it needs at least tenantUrl and reloads")
		return nil
	case len(bodies) > 1:
		d.add(line(bodies[1].Body), "", "the file holds more than one YAML document; keep one and remove the --- line")
		return nil
	}
	return bodies[0].Body
}

// value is one setting as written in the file.
type value struct {
	// field is the setting's path, such as reloads[2].schedule.
	field string
	// line is the line of the setting's key.
	line int
	// node is the value, with any anchor removed.
	node ast.Node
}

// setting is a decoded setting. line is 0 when the file does not set it;
// ok is true when the file sets it to a valid value.
type setting[T any] struct {
	value T
	line  int
	ok    bool
}

// fieldRule decodes and checks one key of a mapping into R.
type fieldRule[R any] struct {
	key    string
	decode func(d *decoder, v value, r *R)
}

// keysOf returns the keys of a rule table, in table order.
func keysOf[R any](rules []fieldRule[R]) []string {
	keys := make([]string, len(rules))
	for i, rule := range rules {
		keys[i] = rule.key
	}
	return keys
}

// decodeMapping decodes a mapping with the rules of its keys. It reports
// keys it does not know (suggesting the nearest one), duplicate keys, merge
// keys and aliases. misplaced maps the keys of the other level (rows or the
// file) to a hint saying where they belong. It returns false when node is
// not a mapping.
func decodeMapping[R any](d *decoder, node ast.Node, field string, rules []fieldRule[R], misplaced map[string]string, r *R) bool {
	pairs, ok := mappingPairs(node)
	if !ok {
		return false
	}
	seen := map[string]int{}
	var dups []duplicate
	for _, kv := range pairs {
		key, keyLine, ok := d.key(kv, field)
		if !ok {
			continue
		}
		path := joinField(field, key)
		if first, dup := seen[key]; dup {
			dups = append(dups, duplicate{key: key, line: keyLine, first: first, value: kv.Value})
			continue
		}
		seen[key] = keyLine
		i := slices.IndexFunc(rules, func(rule fieldRule[R]) bool { return rule.key == key })
		if i < 0 {
			d.unknownKey(keyLine, path, key, keysOf(rules), misplaced)
			continue
		}
		if v, ok := d.value(kv, path, keyLine); ok {
			rules[i].decode(d, v, r)
		}
	}
	d.duplicates(field, dups)
	return true
}

// duplicate is a key set a second time in one mapping.
type duplicate struct {
	key         string
	line, first int
	value       ast.Node
}

// duplicates reports the keys set twice in one mapping. A row that sets its
// name twice most likely holds two rows, the second missing the "- " that
// starts a row, so that is said once instead of once for each of its keys.
func (d *decoder) duplicates(field string, dups []duplicate) {
	if strings.HasPrefix(field, "reloads[") {
		if i := slices.IndexFunc(dups, func(dup duplicate) bool { return dup.key == "name" }); i >= 0 {
			dup := dups[i]
			fix := "name: ..."
			if s, ok := dup.value.(ast.ScalarNode); ok && s.GetToken() != nil {
				fix = "name: " + s.GetToken().Value
			}
			d.add(dup.line, field, "a second name on line %d, after the one on line %d: a new row starts with \"- \"; write - %s on line %d", dup.line, dup.first, fix, dup.line)
			return
		}
	}
	for _, dup := range dups {
		d.add(dup.line, joinField(field, dup.key), "set twice, also on line %d; keep one", dup.first)
	}
}

// mappingPairs returns the key-value pairs of a mapping node.
func mappingPairs(node ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n := node.(type) {
	case *ast.MappingNode:
		return n.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}, true
	}
	return nil, false
}

// key returns the text of a mapping key.
func (d *decoder) key(kv *ast.MappingValueNode, field string) (string, int, bool) {
	keyLine := line(kv.Key)
	if kv.Key.IsMergeKey() {
		d.add(keyLine, joinField(field, "<<"), "merge keys are not supported; write the settings out, so that each row reads on its own in review")
		return "", 0, false
	}
	if _, ok := kv.Key.(ast.ScalarNode); !ok {
		d.add(keyLine, field, "a key must be a plain name")
		return "", 0, false
	}
	return kv.Key.GetToken().Value, keyLine, true
}

// value unwraps a setting's value, rejecting aliases and tags.
func (d *decoder) value(kv *ast.MappingValueNode, field string, keyLine int) (value, bool) {
	node := kv.Value
	for {
		anchor, ok := node.(*ast.AnchorNode)
		if !ok {
			break
		}
		node = anchor.Value
	}
	switch n := node.(type) {
	case *ast.AliasNode:
		d.add(keyLine, field, "aliases (*%s) are not supported; write the value out, so that each row reads on its own in review", n.Value)
		return value{}, false
	case *ast.TagNode:
		d.add(keyLine, field, "YAML tags (%s) are not supported; quote the value if it is text", n.Start.Value)
		return value{}, false
	case nil:
		node = ast.Null(&token.Token{Value: "null", Position: kv.Key.GetToken().Position})
	}
	return value{field: field, line: keyLine, node: node}, true
}

// unknownKey reports a key that is not in keys, suggesting the nearest
// or, when the key belongs to the other level, saying where it goes.
func (d *decoder) unknownKey(line int, path, key string, keys []string, misplaced map[string]string) {
	if near := suggest.Nearest(key, keys); near != "" {
		d.add(line, path, "unknown field; did you mean %s?", near)
		return
	}
	if hint, ok := misplaced[key]; ok {
		d.add(line, path, "unknown field; %s", hint)
		return
	}
	d.add(line, path, "unknown field; the known fields are %s", strings.Join(keys, ", "))
}

// text decodes a text value. A number or true/false where text is expected
// is a problem rather than silently converted, so that the file means the
// same to the loader as to an editor that checks it against the schema.
func (d *decoder) text(v value) setting[string] {
	s := setting[string]{line: v.line}
	switch n := v.node.(type) {
	case *ast.StringNode:
		s.value, s.ok = n.Value, true
	case *ast.LiteralNode:
		s.value, s.ok = n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		literal := n.GetToken().Value
		d.add(v.line, v.field, "expected text, got %s; quote it if it is meant as text: %q", describe(n), literal)
	default:
		d.wrongType(v, "text")
	}
	return s
}

// integer decodes a whole number.
func (d *decoder) integer(v value) setting[int] {
	s := setting[int]{line: v.line}
	switch n := v.node.(type) {
	case *ast.IntegerNode:
		switch x := n.Value.(type) {
		case int64:
			s.value = int(max(min(x, math.MaxInt32), math.MinInt32))
		case uint64:
			s.value = int(min(x, math.MaxInt32))
		}
		s.ok = true
	case *ast.FloatNode:
		// JSON Schema counts 5.0 as an integer; so does the loader.
		if n.Value == math.Trunc(n.Value) {
			s.value, s.ok = int(max(min(n.Value, math.MaxInt32), math.MinInt32)), true
		} else {
			d.add(v.line, v.field, "%s is not a whole number", n.GetToken().Value)
		}
	case *ast.StringNode:
		switch tk := n.GetToken(); {
		case tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType:
			d.add(v.line, v.field, "expected a number, got text; write it without quotes")
		case strings.Trim(n.Value, "0123456789") == "" && n.Value != "":
			// Numbers too large for an integer reach us as text.
			s.value, s.ok = math.MaxInt32, true
		default:
			d.add(v.line, v.field, "%q is not a whole number", n.Value)
		}
	default:
		d.wrongType(v, "a whole number")
	}
	return s
}

// boolean decodes true or false. YAML 1.1 spellings such as yes and on are
// text in YAML 1.2 and are rejected, so that nobody has to know which YAML
// version a tool speaks.
func (d *decoder) boolean(v value) setting[bool] {
	s := setting[bool]{line: v.line}
	switch n := v.node.(type) {
	case *ast.BoolNode:
		s.value, s.ok = n.Value, true
	case *ast.StringNode:
		if tk := n.GetToken(); (tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType) && (n.Value == "true" || n.Value == "false") {
			// Quotes make YAML read the word as text.
			d.add(v.line, v.field, "%q is text because of the quotes; remove them: %s: %s", n.Value, lastKey(v.field), n.Value)
			break
		}
		d.add(v.line, v.field, "%q is not true or false; write true or false", n.Value)
	default:
		d.wrongType(v, "true or false")
	}
	return s
}

// wrongType reports a value of the wrong type.
func (d *decoder) wrongType(v value, want string) {
	if _, null := v.node.(*ast.NullNode); null {
		d.add(v.line, v.field, "no value; give one or remove the line")
		return
	}
	d.add(v.line, v.field, "expected %s, got %s", want, describe(v.node))
}

// describe names the type of a node for messages.
func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return "true/false"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.NullNode:
		return "no value"
	}
	return "text"
}

// check applies a rule to a decoded setting: rule returns the value to keep
// (it may normalize it) and a problem message, empty when the value is
// valid.
func check[T any](d *decoder, v value, s setting[T], rule func(T) (T, string)) setting[T] {
	if !s.ok {
		return s
	}
	out, problem := rule(s.value)
	if problem != "" {
		d.add(v.line, v.field, "%s", problem)
		s.ok = false
		return s
	}
	s.value = out
	return s
}

// inRange returns a rule that accepts whole numbers from lo to hi.
func inRange(lo, hi int) func(int) (int, string) {
	return func(n int) (int, string) {
		if n < lo || n > hi {
			return n, fmt.Sprintf("%d is out of range %d-%d", n, lo, hi)
		}
		return n, ""
	}
}

// maxLength returns a rule that accepts text of at most n characters.
func maxLength(n int) func(string) (string, string) {
	return func(s string) (string, string) {
		if l := utf8.RuneCountInString(s); l > n {
			return s, fmt.Sprintf("%d characters is too long; the limit is %d", l, n)
		}
		return s, ""
	}
}

// line returns the line a node starts on.
func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// lastKey returns the key a field path ends in: enabled for
// reloads[2].enabled.
func lastKey(field string) string {
	return field[strings.LastIndexByte(field, '.')+1:]
}
