package config

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/eventpattern"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/suggest"
)

// A row starts in one of three ways: on the clock (schedule), after other
// rows have succeeded (after), or on an EventBridge event (on). This file
// decodes after, on and debounceMinutes, and checks the chains the after
// rows form.

// Trigger is what an on row starts on: an EventBridge rule on the default
// event bus.
type Trigger struct {
	// S3 is set for on: {s3: ...}: an object created in a bucket.
	S3 *S3Trigger
	// EventPattern is the rule's event pattern as compact JSON with sorted
	// keys: the row's own pattern for on: {eventPattern: ...}, or the one
	// built from S3.
	EventPattern string
}

// S3Trigger matches S3's Object Created events of one bucket, which S3
// sends to EventBridge only when the bucket's EventBridge notifications are
// on.
type S3Trigger struct {
	// Bucket is the bucket's name.
	Bucket string
	// Prefix and Suffix, when not empty, are what the object's key starts
	// and ends with, such as exports/ and .csv.
	Prefix, Suffix string
}

// Describe says what the trigger starts on, for the summary of make synth.
func (t Trigger) Describe() string {
	if t.S3 == nil {
		return "event " + t.EventPattern
	}
	return fmt.Sprintf("object created in s3://%s/%s*%s", t.S3.Bucket, t.S3.Prefix, t.S3.Suffix)
}

// Limits of event rows and chains.
const (
	// defaultDebounceMinutes is the window in which an on row's events
	// start one reload: an export writing many files starts it once.
	defaultDebounceMinutes = 5
	maxDebounceMinutes     = 1440
	// MaxRulesPerBus is how many rules EventBridge's default event bus
	// holds in an account and region; every on row is one.
	MaxRulesPerBus = 300
	// MaxWildcardRulesPerBus is how many of them may use a wildcard; an s3
	// trigger with both a prefix and a suffix uses one.
	MaxWildcardRulesPerBus = 30
	// MaxEventRows is how many on rows one environment may hold, bounded
	// by the start queue's policy: it names each rule's ARN, and SQS
	// accepts a policy of at most 8,192 bytes. A generated rule name is at
	// most 64 characters, so one ARN takes at most about 122 bytes of the
	// policy, and the policy's other statements about 600.
	MaxEventRows = 60
	// maxS3KeyLength is S3's limit on an object key, in bytes.
	maxS3KeyLength = 1024
)

// S3's rules for a bucket name: 3 to 63 lowercase letters, digits, dots and
// hyphens, starting and ending with a letter or digit.
var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// rawTrigger is what a row's on sets.
type rawTrigger struct {
	s3           setting[S3Trigger]
	eventPattern setting[string]
}

var triggerRules = []fieldRule[rawTrigger]{
	{"s3", func(d *decoder, v value, t *rawTrigger) { t.s3 = d.s3Trigger(v) }},
	{"eventPattern", func(d *decoder, v value, t *rawTrigger) { t.eventPattern = d.eventPattern(v) }},
}

// rawS3 is what on.s3 sets.
type rawS3 struct {
	bucket, prefix, suffix setting[string]
}

var s3Rules = []fieldRule[rawS3]{
	{"bucket", func(d *decoder, v value, s *rawS3) { s.bucket = check(d, v, d.text(v), bucketName) }},
	{"prefix", func(d *decoder, v value, s *rawS3) { s.prefix = check(d, v, d.text(v), s3Key) }},
	{"suffix", func(d *decoder, v value, s *rawS3) { s.suffix = check(d, v, d.text(v), s3Key) }},
}

// upstream is one name a row's after lists, with its line.
type upstream struct {
	name string
	line int
}

// after decodes a row's after: one row's name, or a list of them.
func (d *decoder) after(v value) setting[[]upstream] {
	s := setting[[]upstream]{line: v.line}
	items := []ast.Node{v.node}
	if seq, ok := v.node.(*ast.SequenceNode); ok {
		items = seq.Values
		if len(items) == 0 {
			d.add(v.line, v.field, "an empty list names no row to run after; name one, or use schedule instead")
			return s
		}
	}
	before := len(d.problems)
	seen := map[string]int{}
	for i, item := range items {
		field := v.field
		if len(items) > 1 || item != v.node {
			field = fmt.Sprintf("%s[%d]", v.field, i)
		}
		n := value{field: field, line: max(line(item), v.line), node: item}
		name := check(d, n, d.text(n), rowName)
		if !name.ok {
			continue
		}
		if first, dup := seen[name.value]; dup {
			d.add(n.line, field, "%s is listed twice, also on line %d; keep one", name.value, first)
			continue
		}
		seen[name.value] = n.line
		s.value = append(s.value, upstream{name.value, n.line})
	}
	s.ok = len(d.problems) == before
	return s
}

// on decodes a row's on: exactly one of s3 and eventPattern.
func (d *decoder) on(v value) setting[Trigger] {
	s := setting[Trigger]{line: v.line}
	var t rawTrigger
	before := len(d.problems)
	if !decodeMapping(d, v.node, v.field, triggerRules, nil, &t) {
		d.wrongType(v, "a mapping with s3: {bucket: ...} or eventPattern: {...}")
		return s
	}
	switch {
	case t.s3.line != 0 && t.eventPattern.line != 0:
		d.add(t.eventPattern.line, v.field, "set s3 or eventPattern, not both; a row starts on one kind of event")
	case t.s3.line == 0 && t.eventPattern.line == 0 && len(d.problems) == before:
		d.add(v.line, v.field, "missing what to start on; add s3: {bucket: NAME, prefix: PATH/, suffix: .csv} or eventPattern: {source: [...]}")
	}
	if len(d.problems) > before {
		return s
	}
	if t.s3.ok {
		s3 := t.s3.value
		s.value = Trigger{S3: &s3, EventPattern: s3Pattern(s3)}
	} else {
		s.value = Trigger{EventPattern: t.eventPattern.value}
	}
	s.ok = true
	return s
}

// s3Trigger decodes on.s3.
func (d *decoder) s3Trigger(v value) setting[S3Trigger] {
	s := setting[S3Trigger]{line: v.line}
	var r rawS3
	before := len(d.problems)
	if !decodeMapping(d, v.node, v.field, s3Rules, nil, &r) {
		d.wrongType(v, "a mapping such as {bucket: NAME, prefix: PATH/, suffix: .csv}")
		return s
	}
	if r.bucket.line == 0 {
		d.add(v.line, v.field+".bucket", "missing; name the bucket whose new objects start the reload")
	}
	s.value = S3Trigger{Bucket: or(r.bucket, ""), Prefix: or(r.prefix, ""), Suffix: or(r.suffix, "")}
	s.ok = len(d.problems) == before
	return s
}

// s3Pattern builds the event pattern of an s3 trigger: S3's Object Created
// events of the bucket, with the key's prefix and suffix when set. A key
// with both is matched with one wildcard, since a field's list of matchers
// means any of them, not all.
func s3Pattern(t S3Trigger) string {
	detail := map[string]any{"bucket": map[string]any{"name": []any{t.Bucket}}}
	var key map[string]any
	switch {
	case t.Prefix != "" && t.Suffix != "":
		key = map[string]any{"wildcard": escapeWildcard(t.Prefix) + "*" + escapeWildcard(t.Suffix)}
	case t.Prefix != "":
		key = map[string]any{"prefix": t.Prefix}
	case t.Suffix != "":
		key = map[string]any{"suffix": t.Suffix}
	}
	if key != nil {
		detail["object"] = map[string]any{"key": []any{key}}
	}
	return eventpattern.Marshal(map[string]any{
		"source":      []any{"aws.s3"},
		"detail-type": []any{"Object Created"},
		"detail":      detail,
	})
}

// escapeWildcard makes text match itself in a wildcard.
func escapeWildcard(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`).Replace(s)
}

// UsesWildcard reports whether the trigger's rule counts against the
// default bus's quota of rules with wildcards.
func (t Trigger) UsesWildcard() bool {
	return eventpattern.UsesWildcard(t.EventPattern)
}

func bucketName(s string) (string, string) {
	if !bucketNameRE.MatchString(s) || strings.Contains(s, "..") {
		return s, fmt.Sprintf("%q is not an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit; give the name only, without s3:// or a path", s)
	}
	return s, ""
}

func s3Key(s string) (string, string) {
	if len(s) > maxS3KeyLength {
		return s, fmt.Sprintf("%d bytes is longer than an S3 key can be (%d)", len(s), maxS3KeyLength)
	}
	return s, ""
}

// eventPattern decodes on.eventPattern, written as YAML, into the JSON
// EventBridge takes, and checks it as EventBridge would. Problems are
// reported on the line of the member they concern.
func (d *decoder) eventPattern(v value) setting[string] {
	s := setting[string]{line: v.line}
	lines := map[string]int{"": v.line}
	before := len(d.problems)
	pattern, ok := d.jsonValue(v.node, v.field, "", v.line, lines)
	if !ok || len(d.problems) > before {
		return s
	}
	for _, p := range eventpattern.Check(pattern) {
		d.add(lineOf(p.Path, lines), joinField(v.field, p.Path), "%s", p.Message)
	}
	if len(d.problems) > before {
		return s
	}
	s.value, s.ok = eventpattern.Marshal(pattern), true
	return s
}

// lineOf returns the line of the pattern member at path, or of the nearest
// member that encloses it.
func lineOf(path string, lines map[string]int) int {
	for {
		if n, ok := lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return lines[""]
		}
		path = path[:i]
	}
}

// jsonValue turns a YAML node into the value encoding/json decodes (with
// numbers as json.Number), recording each member's line under its path.
func (d *decoder) jsonValue(node ast.Node, field, path string, keyLine int, lines map[string]int) (any, bool) {
	for {
		anchor, ok := node.(*ast.AnchorNode)
		if !ok {
			break
		}
		node = anchor.Value
	}
	at := joinField(field, path)
	switch n := node.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		pairs, _ := mappingPairs(n)
		obj := make(map[string]any, len(pairs))
		ok := true
		for _, kv := range pairs {
			key, kl, kok := d.key(kv, at)
			if !kok {
				ok = false
				continue
			}
			p := joinField(path, key)
			if _, dup := obj[key]; dup {
				d.add(kl, joinField(field, p), "set twice, also on line %d; keep one", lines[p])
				ok = false
				continue
			}
			lines[p] = kl
			val, vok := d.value(kv, joinField(field, p), kl)
			if !vok {
				ok = false
				continue
			}
			member, mok := d.jsonValue(val.node, field, p, kl, lines)
			ok = ok && mok
			obj[key] = member
		}
		return obj, ok
	case *ast.SequenceNode:
		list := make([]any, len(n.Values))
		ok := true
		for i, item := range n.Values {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = max(line(item), keyLine)
			var iok bool
			list[i], iok = d.jsonValue(item, field, p, lines[p], lines)
			ok = ok && iok
		}
		return list, ok
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		return n.Value.Value, true
	case *ast.IntegerNode:
		return json.Number(fmt.Sprint(n.Value)), true
	case *ast.FloatNode:
		return json.Number(strconv.FormatFloat(n.Value, 'g', -1, 64)), true
	case *ast.BoolNode:
		return n.Value, true
	case *ast.NullNode, nil:
		return nil, true
	case *ast.AliasNode:
		d.add(keyLine, at, "aliases (*%s) are not supported; write the value out", n.Value)
	case *ast.TagNode:
		d.add(keyLine, at, "YAML tags (%s) are not supported; quote the value if it is text", n.Start.Value)
	default:
		d.add(keyLine, at, "%s has no JSON form; write a number, text, true/false, a list or a mapping", n.GetToken().Value)
	}
	return nil, false
}

// startProblems checks that a row sets exactly one way to start, and that
// debounceMinutes and flexibleWindowMinutes belong to the way it sets.
func (d *decoder) startProblems(r rawReload, field string) {
	set := []struct {
		key  string
		line int
	}{{"schedule", r.schedule.line}, {"after", r.after.line}, {"on", r.on.line}}
	set = slices.DeleteFunc(set, func(s struct {
		key  string
		line int
	}) bool {
		return s.line == 0
	})
	switch len(set) {
	case 0:
		d.add(r.line, field+".schedule", "missing; add schedule: cron(...), rate(...) or at(...), such as cron(0 6 ? * MON-FRI *); or after: ROW to run after another row; or on: {s3: ...} to run on an event")
	case 1:
	default:
		names := make([]string, len(set))
		for i, s := range set {
			names[i] = s.key
		}
		last := set[len(set)-1]
		d.add(last.line, field+"."+last.key, "a row starts one way: set one of schedule, after and on, not %s; put the other in a row of its own", strings.Join(names, " and "))
	}
	if r.debounceMinutes.line != 0 && r.on.line == 0 {
		d.add(r.debounceMinutes.line, field+".debounceMinutes", "applies only to a row with on: it merges the events of a window into one reload; remove it")
	}
	if r.flexibleWindowMinutes.line != 0 && r.schedule.line == 0 && len(set) == 1 {
		d.add(r.flexibleWindowMinutes.line, field+".flexibleWindowMinutes", "applies only to a row with a schedule; a row with %s starts as soon as it is due; remove it", set[0].key)
	}
}

// checkStarts checks what involves the rows' after and on together: that
// each after names another row, that the chains hold no cycle, that the on
// rows fit on the default event bus, and warns of a chain whose upstream is
// disabled, since it never starts while that row is off.
func (d *decoder) checkStarts(raw *rawConfig) {
	byName := map[string]rawReload{}
	var names []string
	for _, r := range raw.reloads.value {
		if r.name.ok {
			if _, dup := byName[r.name.value]; !dup {
				byName[r.name.value] = r
				names = append(names, r.name.value)
			}
		}
	}
	graphOK := true
	for _, r := range raw.reloads.value {
		if !r.after.ok || !r.name.ok {
			graphOK = graphOK && r.after.line == 0
			continue
		}
		field := fmt.Sprintf("reloads[%d].after", r.index)
		for _, up := range r.after.value {
			other, known := byName[up.name]
			switch {
			case up.name == r.name.value:
				d.add(up.line, field, "%s cannot run after itself; name the row it should follow", up.name)
				graphOK = false
			case !known:
				hint := "; the after of a row names another row of this file"
				if near := suggest.Nearest(up.name, names); near != "" {
					hint = fmt.Sprintf("; did you mean %s?", near)
				}
				d.add(up.line, field, "no row is named %s%s", up.name, hint)
				graphOK = false
			case other.enabled.ok && !other.enabled.value:
				d.warn(up.line, field, "%s is disabled, so %s, which runs after it, does not start until %s is enabled again", up.name, r.name.value, up.name)
			}
		}
	}
	if graphOK {
		d.cycles(raw, byName)
	}

	events, wildcards := 0, 0
	for _, r := range raw.reloads.value {
		if r.on.ok {
			events++
			if r.on.value.UsesWildcard() {
				wildcards++
			}
		}
	}
	switch {
	case events > MaxEventRows:
		d.add(raw.reloads.line, "reloads", "%d rows start on events; one environment holds at most %d, since the start queue's policy names each rule and SQS limits a policy to 8,192 bytes; split the rows over environments, or start several apps from one event through chains (after)", events, MaxEventRows)
	case wildcards > MaxWildcardRulesPerBus:
		d.add(raw.reloads.line, "reloads", "%d rows use a wildcard (an s3 trigger with both prefix and suffix is one); the default event bus holds at most %d such rules; drop the prefix or the suffix of some", wildcards, MaxWildcardRulesPerBus)
	}
}

// cycles reports each loop of after rows once, in the order the reloads
// run, such as a -> b -> c -> a, on the line of the loop's first row in the
// file.
func (d *decoder) cycles(raw *rawConfig, byName map[string]rawReload) {
	// downstream maps each row to the rows that run after it, in file
	// order, so that the loops found do not depend on map order.
	downstream := map[string][]string{}
	for _, r := range raw.reloads.value {
		if r.after.ok && r.name.ok {
			for _, up := range r.after.value {
				downstream[up.name] = append(downstream[up.name], r.name.value)
			}
		}
	}
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	reported := map[string]bool{}
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = onPath
		path = append(path, name)
		for _, next := range downstream[name] {
			switch state[next] {
			case unvisited:
				visit(next)
			case onPath:
				loop := slices.Clone(path[slices.Index(path, next):])
				d.reportCycle(loop, byName, reported)
			}
		}
		path = path[:len(path)-1]
		state[name] = done
	}
	for _, r := range raw.reloads.value {
		if r.name.ok && state[r.name.value] == unvisited {
			visit(r.name.value)
		}
	}
}

// reportCycle reports a loop of rows, starting from its first row in the
// file, unless a rotation of it was reported already.
func (d *decoder) reportCycle(loop []string, byName map[string]rawReload, reported map[string]bool) {
	first := 0
	for i, name := range loop {
		if byName[name].index < byName[loop[first]].index {
			first = i
		}
	}
	loop = append(loop[first:], loop[:first]...)
	key := strings.Join(loop, " ")
	if reported[key] {
		return
	}
	reported[key] = true
	start := byName[loop[0]]
	shown := strings.Join(append(slices.Clone(loop), loop[0]), " -> ")
	d.add(start.after.line, fmt.Sprintf("reloads[%d].after", start.index), "the rows run after each other in a loop, %s, so none of them would ever start; remove one of these after entries", shown)
}

// EventTimePlaceholder is the input transformer's variable for the event's
// time: the rule maps it from the event's $.time.
const EventTimePlaceholder = "<time>"

// EventInput returns the input template of an on row's rule: the row's
// start-queue message (see Input) with scheduledTime set to the event's
// time and, last, the row's debounceMinutes, which the function uses to
// make the events of one window one run. The placeholder stands unquoted:
// EventBridge writes a text value into a JSON template with its quotes.
func (r Reload) EventInput() string {
	in := strings.Replace(r.Input(), `"`+ScheduledTimePlaceholder+`"`, EventTimePlaceholder, 1)
	return strings.TrimSuffix(in, "}") + `,"debounceMinutes":` + strconv.Itoa(r.DebounceMinutes) + "}"
}
