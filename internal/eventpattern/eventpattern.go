// Package eventpattern checks an EventBridge event pattern the way
// EventBridge's PutRule would, before a deployment gets that far: a pattern
// is a non-empty JSON object whose leaves are lists of values to match, each
// value a string, number, true/false, null or one comparison operator
// (prefix, suffix, anything-but, numeric, exists, equals-ignore-case,
// wildcard, cidr), with $or joining two or more alternative objects.
//
// The grammar follows EventBridge's documentation of content filtering
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html)
// and the rule compiler EventBridge's matching is built on; each message
// says what EventBridge would refuse and how to write it instead.
//
// This package must not import the CDK.
package eventpattern

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/suggest"
)

// MaxLength is the longest event pattern PutRule accepts, in characters of
// its JSON text.
const MaxLength = 4096

// maxNumeric bounds the numbers of a numeric match: EventBridge compares
// numbers between -5.0e9 and +5.0e9 only.
const maxNumeric = 5e9

// Problem is one thing EventBridge would refuse in a pattern.
type Problem struct {
	// Path locates the offending member from the pattern's root, such as
	// detail.state[0].anything-but; empty for the pattern as a whole.
	Path string
	// Message says what is wrong and how to fix it, lowercase, without a
	// final period.
	Message string
}

// Operators are the comparison operators a value of a pattern may use, in
// the order the documentation lists them.
var Operators = []string{"prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case", "wildcard", "cidr"}

// orKey joins alternative sub-patterns.
const orKey = "$or"

// Check returns every problem of pattern, a value decoded from JSON with
// json.Decoder.UseNumber (numbers are json.Number), or nil when EventBridge
// would accept it.
func Check(pattern any) []Problem {
	c := &checker{}
	obj, ok := pattern.(map[string]any)
	if !ok {
		c.add("", "an event pattern is a mapping of event fields, such as {source: [aws.s3]}, not %s", describe(pattern))
		return c.problems
	}
	c.object("", obj)
	if len(c.problems) == 0 {
		if text := Marshal(pattern); len(text) > MaxLength {
			c.add("", "the pattern is %d characters as JSON; EventBridge accepts at most %d; match on fewer values, or use prefix instead of long lists", len(text), MaxLength)
		}
	}
	return c.problems
}

// UsesWildcard reports whether the pattern, as JSON, matches a value with
// the wildcard operator anywhere, which puts its rule under the default
// bus's quota of rules with wildcards. A field that happens to be named
// "wildcard" does not count: operators are only the keys of an object in a
// list of values, or of anything-but's object.
func UsesWildcard(patternJSON string) bool {
	var pattern any
	if json.Unmarshal([]byte(patternJSON), &pattern) != nil {
		return false
	}
	return usesWildcard(pattern, false)
}

// usesWildcard looks for the wildcard operator in v; inValues says that v's
// keys, when it is an object, are operators rather than event fields.
func usesWildcard(v any, inValues bool) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case inValues && k == "wildcard":
				return true
			case inValues && k == "anything-but":
				if usesWildcard(x, true) {
					return true
				}
			case k == orKey:
				// $or lists alternative patterns, whose keys are fields.
				if alternatives, ok := x.([]any); ok {
					for _, a := range alternatives {
						if usesWildcard(a, false) {
							return true
						}
					}
				}
			case !inValues && usesWildcard(x, false):
				return true
			}
		}
	case []any:
		for _, x := range v {
			if usesWildcard(x, true) {
				return true
			}
		}
	}
	return false
}

// Marshal returns pattern as compact JSON with the keys of each object
// sorted, so that a template does not change unless the pattern does.
func Marshal(pattern any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// A decoded value always encodes.
	_ = enc.Encode(pattern)
	return strings.TrimSuffix(b.String(), "\n")
}

type checker struct {
	problems []Problem
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// object checks a mapping of event fields: each member is a nested mapping,
// a list of values, or $or.
func (c *checker) object(path string, obj map[string]any) {
	if len(obj) == 0 {
		c.add(path, "an empty mapping matches nothing EventBridge accepts; name at least one field, or remove it")
		return
	}
	for _, key := range sortedKeys(obj) {
		p := join(path, key)
		v := obj[key]
		if key == orKey {
			c.or(p, v)
			continue
		}
		switch val := v.(type) {
		case map[string]any:
			c.object(p, val)
		case []any:
			c.values(p, val)
		default:
			c.add(p, "a field's values go in a list, even a single one: %s: [%s]", key, Marshal(v))
		}
	}
}

// or checks $or: a list of at least two mappings, each a pattern of its
// own.
func (c *checker) or(path string, v any) {
	list, ok := v.([]any)
	if !ok {
		c.add(path, "$or takes a list of at least two mappings, each one alternative, not %s", describe(v))
		return
	}
	if len(list) < 2 {
		c.add(path, "$or needs at least two alternatives; with one, write its fields without $or")
	}
	for i, alt := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := alt.(map[string]any)
		if !ok {
			c.add(p, "each alternative of $or is a mapping of fields, not %s", describe(alt))
			continue
		}
		c.object(p, obj)
	}
}

// values checks the list of values a field matches: any one of them.
func (c *checker) values(path string, list []any) {
	if len(list) == 0 {
		c.add(path, "an empty list matches nothing, and EventBridge refuses it; give at least one value")
		return
	}
	for i, v := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch val := v.(type) {
		case string, json.Number, bool, nil:
		case map[string]any:
			c.operator(p, val)
		default:
			c.add(p, "a value to match is text, a number, true/false, null or one operator such as {prefix: ...}, not %s", describe(v))
		}
	}
}

// operator checks a value that is a comparison: a mapping of exactly one
// operator to its argument.
func (c *checker) operator(path string, m map[string]any) {
	if len(m) != 1 {
		c.add(path, "a comparison has exactly one operator, such as {prefix: ...}, not %d; put each in its own list item", len(m))
		return
	}
	var op string
	var arg any
	for op, arg = range m {
	}
	p := join(path, op)
	switch op {
	case "prefix", "suffix":
		c.affix(p, op, arg)
	case "equals-ignore-case":
		c.text(p, op, arg)
	case "wildcard":
		c.wildcard(p, arg)
	case "anything-but":
		c.anythingBut(p, arg)
	case "numeric":
		c.numeric(p, arg)
	case "exists":
		if _, ok := arg.(bool); !ok {
			c.add(p, "exists takes true or false, not %s", describe(arg))
		}
	case "cidr":
		c.cidr(p, arg)
	case orKey:
		c.add(p, "$or joins mappings of fields, not values; to match any of several values, list them: [a, b]")
	default:
		if near := suggest.Nearest(op, Operators); near != "" {
			c.add(p, "%s is not an operator EventBridge knows; did you mean %s?", op, near)
			return
		}
		c.add(p, "%s is not an operator EventBridge knows; the operators are %s", op, strings.Join(Operators, ", "))
	}
}

// affix checks prefix and suffix: text, or {equals-ignore-case: text}.
func (c *checker) affix(path, op string, arg any) {
	if m, ok := arg.(map[string]any); ok {
		if v, ok := m["equals-ignore-case"]; ok && len(m) == 1 {
			c.text(join(path, "equals-ignore-case"), op+" equals-ignore-case", v)
			return
		}
		c.add(path, "%s takes text, or {equals-ignore-case: text} to ignore letter case", op)
		return
	}
	c.text(path, op, arg)
}

// text checks an argument that must be text.
func (c *checker) text(path, op string, arg any) {
	if _, ok := arg.(string); !ok {
		c.add(path, "%s takes text, not %s; quote it if it is meant as text", op, describe(arg))
	}
}

// wildcard checks a wildcard: * matches any characters, \* a star and \\ a
// backslash; EventBridge refuses two stars in a row and any other escape.
func (c *checker) wildcard(path string, arg any) {
	s, ok := arg.(string)
	if !ok {
		c.add(path, "wildcard takes text with * for any characters, not %s", describe(arg))
		return
	}
	star := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 == len(s) || s[i+1] != '*' && s[i+1] != '\\' {
				c.add(path, `%q has a backslash that escapes nothing; in a wildcard, \* is a star and \\ a backslash`, s)
				return
			}
			i++
			star = false
		case '*':
			if star {
				c.add(path, "%q has two stars in a row, which EventBridge refuses; one * already matches any characters", s)
				return
			}
			star = true
		default:
			star = false
		}
	}
}

// anythingBut checks anything-but: text, a number, a list of only texts or
// only numbers, or one of {prefix|suffix: text} and
// {equals-ignore-case|wildcard: text or list of texts}.
func (c *checker) anythingBut(path string, arg any) {
	switch v := arg.(type) {
	case string, json.Number:
	case []any:
		if len(v) == 0 {
			c.add(path, "anything-but needs at least one value to exclude")
			return
		}
		texts, numbers := 0, 0
		for _, item := range v {
			switch item.(type) {
			case string:
				texts++
			case json.Number:
				numbers++
			default:
				c.add(path, "anything-but lists text or numbers only, not %s", describe(item))
				return
			}
		}
		if texts > 0 && numbers > 0 {
			c.add(path, "anything-but lists either only text or only numbers; EventBridge refuses a mix")
		}
	case map[string]any:
		if len(v) != 1 {
			c.add(path, "anything-but takes one of prefix, suffix, equals-ignore-case or wildcard, not %d", len(v))
			return
		}
		for op, inner := range v {
			p := join(path, op)
			switch op {
			case "prefix", "suffix":
				if s, ok := inner.(string); ok && s == "" {
					c.add(p, "anything-but %s cannot be empty text: it would exclude every value", op)
					return
				}
				c.text(p, "anything-but "+op, inner)
			case "equals-ignore-case", "wildcard":
				list, isList := inner.([]any)
				if !isList {
					list = []any{inner}
				}
				for i, item := range list {
					ip := p
					if isList {
						ip = fmt.Sprintf("%s[%d]", p, i)
					}
					if op == "wildcard" {
						c.wildcard(ip, item)
					} else {
						c.text(ip, "anything-but "+op, item)
					}
				}
			default:
				c.add(p, "anything-but takes prefix, suffix, equals-ignore-case or wildcard, not %s", op)
			}
		}
	default:
		c.add(path, "anything-but takes text, a number, a list of them, or {prefix: ...}, not %s", describe(arg))
	}
}

// numeric checks a numeric match: ["=", n], one bound ["<", n], or a lower
// and an upper bound [">", a, "<=", b] with a below b.
func (c *checker) numeric(path string, arg any) {
	const how = `write [">", 0, "<=", 5], ["=", 3] or ["<", 10]`
	list, ok := arg.([]any)
	if !ok || len(list) != 2 && len(list) != 4 {
		c.add(path, "numeric takes an operator and a number, or a lower and an upper bound; %s", how)
		return
	}
	var bounds [2]float64
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok || !slices.Contains([]string{"=", "<", "<=", ">", ">="}, op) {
			c.add(path, "numeric operators are =, <, <=, > and >=, not %s; %s", Marshal(list[i]), how)
			return
		}
		n, ok := list[i+1].(json.Number)
		if !ok {
			c.add(path, "numeric compares with a number, not %s; %s", describe(list[i+1]), how)
			return
		}
		f, err := n.Float64()
		if err != nil || math.Abs(f) > maxNumeric {
			c.add(path, "%s is outside -5e9 to 5e9, the numbers EventBridge compares", n)
			return
		}
		bounds[i/2] = f
		switch {
		case len(list) == 4 && i == 0 && op != ">" && op != ">=":
			c.add(path, "a range starts with its lower bound, > or >=, then the upper one; %s", how)
			return
		case len(list) == 4 && i == 2 && op != "<" && op != "<=":
			c.add(path, "a range ends with its upper bound, < or <=; %s", how)
			return
		}
	}
	if len(list) == 4 && bounds[0] >= bounds[1] {
		c.add(path, "the range's lower bound %s is not below its upper bound %s, so it matches nothing", list[1], list[3])
	}
}

// cidr checks an IPv4 or IPv6 address range.
func (c *checker) cidr(path string, arg any) {
	s, ok := arg.(string)
	if !ok {
		c.add(path, "cidr takes an address range such as 10.0.0.0/24, not %s", describe(arg))
		return
	}
	if _, err := netip.ParsePrefix(s); err != nil {
		c.add(path, "%q is not an address range; write one such as 10.0.0.0/24 or 2001:db8::/32", s)
	}
}

// describe names the type of a decoded JSON value for messages.
func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case bool:
		return "true/false"
	case json.Number:
		return "a number"
	case nil:
		return "null"
	}
	return "text"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
