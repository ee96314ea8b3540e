package eventpattern

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func decode(t *testing.T, text string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", text, err)
	}
	return v
}

// TestCheckAccepts: patterns from EventBridge's documentation of each
// operator pass.
func TestCheckAccepts(t *testing.T) {
	tests := []struct{ name, pattern string }{
		{"exact values", `{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"bucket":{"name":["sales"]}}}`},
		{"scalars", `{"detail":{"a":[1,2.5,true,false,null,""]}}`},
		{"prefix", `{"time":[{"prefix":"2017-10-02"}]}`},
		{"prefix ignoring case", `{"detail":{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}}`},
		{"suffix", `{"FileName":[{"suffix":".png"}]}`},
		{"suffix ignoring case", `{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}`},
		{"anything-but text", `{"detail":{"state":[{"anything-but":"initializing"}]}}`},
		{"anything-but number", `{"detail":{"x-limit":[{"anything-but":123}]}}`},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`},
		{"anything-but suffix", `{"detail":{"FileName":[{"anything-but":{"suffix":".txt"}}]}}`},
		{"anything-but ignoring case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}}`},
		{"anything-but wildcard", `{"detail":{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}}`},
		{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`},
		{"exists", `{"detail":{"state":[{"exists":false}]}}`},
		{"equals-ignore-case", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`},
		{"wildcard", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`},
		{"wildcard escapes", `{"k":[{"wildcard":"a\\*b\\\\c*"}]}`},
		{"cidr", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"},{"cidr":"2001:db8::/32"}]}}`},
		{"$or", `{"source":["aws.glue"],"$or":[{"detail":{"state":["SUCCEEDED"]}},{"detail":{"state":["STOPPED"]}}]}`},
		{"nested $or", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(decode(t, tt.pattern)); len(got) != 0 {
				t.Errorf("Check(%s) = %v, want no problems", tt.pattern, got)
			}
		})
	}
}

// TestCheckRefuses: what EventBridge would refuse is found, located and
// explained.
func TestCheckRefuses(t *testing.T) {
	tests := []struct {
		name, pattern string
		want          []string
	}{
		{"not an object", `["aws.s3"]`, []string{
			": an event pattern is a mapping of event fields, such as {source: [aws.s3]}, not a list"}},
		{"empty", `{}`, []string{
			": an empty mapping matches nothing EventBridge accepts; name at least one field, or remove it"}},
		{"leaf not a list", `{"source":"aws.s3"}`, []string{
			`source: a field's values go in a list, even a single one: source: ["aws.s3"]`}},
		{"empty list", `{"source":[]}`, []string{
			"source: an empty list matches nothing, and EventBridge refuses it; give at least one value"}},
		{"nested list", `{"source":[["a"]]}`, []string{
			"source[0]: a value to match is text, a number, true/false, null or one operator such as {prefix: ...}, not a list"}},
		{"two operators", `{"k":[{"prefix":"a","suffix":"b"}]}`, []string{
			"k[0]: a comparison has exactly one operator, such as {prefix: ...}, not 2; put each in its own list item"}},
		{"misspelled operator", `{"k":[{"prefx":"a"}]}`, []string{
			"k[0].prefx: prefx is not an operator EventBridge knows; did you mean prefix?"}},
		{"unknown operator", `{"k":[{"contains":"a"}]}`, []string{
			"k[0].contains: contains is not an operator EventBridge knows; the operators are prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr"}},
		{"prefix number", `{"k":[{"prefix":5}]}`, []string{
			"k[0].prefix: prefix takes text, not a number; quote it if it is meant as text"}},
		{"prefix other mapping", `{"k":[{"prefix":{"wildcard":"a"}}]}`, []string{
			"k[0].prefix: prefix takes text, or {equals-ignore-case: text} to ignore letter case"}},
		{"exists text", `{"k":[{"exists":"true"}]}`, []string{
			"k[0].exists: exists takes true or false, not text"}},
		{"numeric odd", `{"k":[{"numeric":[">",0,"<"]}]}`, []string{
			`k[0].numeric: numeric takes an operator and a number, or a lower and an upper bound; write [">", 0, "<=", 5], ["=", 3] or ["<", 10]`}},
		{"numeric operator", `{"k":[{"numeric":["==",1]}]}`, []string{
			`k[0].numeric: numeric operators are =, <, <=, > and >=, not "=="; write [">", 0, "<=", 5], ["=", 3] or ["<", 10]`}},
		{"numeric text", `{"k":[{"numeric":["<","10"]}]}`, []string{
			`k[0].numeric: numeric compares with a number, not text; write [">", 0, "<=", 5], ["=", 3] or ["<", 10]`}},
		{"numeric range order", `{"k":[{"numeric":["<",5,">",0]}]}`, []string{
			`k[0].numeric: a range starts with its lower bound, > or >=, then the upper one; write [">", 0, "<=", 5], ["=", 3] or ["<", 10]`}},
		{"numeric empty range", `{"k":[{"numeric":[">",5,"<",5]}]}`, []string{
			"k[0].numeric: the range's lower bound 5 is not below its upper bound 5, so it matches nothing"}},
		{"numeric too large", `{"k":[{"numeric":[">",6e9]}]}`, []string{
			"k[0].numeric: 6e9 is outside -5e9 to 5e9, the numbers EventBridge compares"}},
		{"anything-but mixed", `{"k":[{"anything-but":["a",1]}]}`, []string{
			"k[0].anything-but: anything-but lists either only text or only numbers; EventBridge refuses a mix"}},
		{"anything-but bool", `{"k":[{"anything-but":true}]}`, []string{
			"k[0].anything-but: anything-but takes text, a number, a list of them, or {prefix: ...}, not true/false"}},
		{"anything-but empty prefix", `{"k":[{"anything-but":{"prefix":""}}]}`, []string{
			"k[0].anything-but.prefix: anything-but prefix cannot be empty text: it would exclude every value"}},
		{"anything-but numeric", `{"k":[{"anything-but":{"numeric":[">",1]}}]}`, []string{
			"k[0].anything-but.numeric: anything-but takes prefix, suffix, equals-ignore-case or wildcard, not numeric"}},
		{"wildcard two stars", `{"k":[{"wildcard":"a**b"}]}`, []string{
			`k[0].wildcard: "a**b" has two stars in a row, which EventBridge refuses; one * already matches any characters`}},
		{"wildcard bad escape", `{"k":[{"wildcard":"a\\b"}]}`, []string{
			`k[0].wildcard: "a\\b" has a backslash that escapes nothing; in a wildcard, \* is a star and \\ a backslash`}},
		{"cidr", `{"k":[{"cidr":"10.0.0.0"}]}`, []string{
			`k[0].cidr: "10.0.0.0" is not an address range; write one such as 10.0.0.0/24 or 2001:db8::/32`}},
		{"$or with one", `{"$or":[{"a":["b"]}]}`, []string{
			"$or: $or needs at least two alternatives; with one, write its fields without $or"}},
		{"$or not a list", `{"$or":{"a":["b"]}}`, []string{
			"$or: $or takes a list of at least two mappings, each one alternative, not a mapping"}},
		{"$or of values", `{"$or":[{"a":["b"]},"c"]}`, []string{
			"$or[1]: each alternative of $or is a mapping of fields, not text"}},
		{"every problem at once", `{"a":"b","c":[{"exists":1}]}`, []string{
			`a: a field's values go in a list, even a single one: a: ["b"]`,
			"c[0].exists: exists takes true or false, not a number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range Check(decode(t, tt.pattern)) {
				got = append(got, p.Path+": "+p.Message)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Check(%s) (-got +want):\n%s", tt.pattern, diff)
			}
		})
	}
}

// TestCheckLength: a pattern longer than PutRule accepts is refused.
func TestCheckLength(t *testing.T) {
	values := make([]string, 0, 400)
	for i := range cap(values) {
		values = append(values, fmt.Sprintf("%q", fmt.Sprintf("value-%04d", i)))
	}
	pattern := `{"k":[` + strings.Join(values, ",") + `]}`
	got := Check(decode(t, pattern))
	want := []Problem{{Message: fmt.Sprintf("the pattern is %d characters as JSON; EventBridge accepts at most 4096; match on fewer values, or use prefix instead of long lists", len(pattern))}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

// TestMarshal: keys are sorted and nothing is escaped for HTML, so a
// template holds the pattern as written.
func TestMarshal(t *testing.T) {
	got := Marshal(decode(t, `{"source":["a<b"],"detail":{"n":[{"numeric":[">",1.50]}]}}`))
	want := `{"detail":{"n":[{"numeric":[">",1.50]}]},"source":["a<b"]}`
	if got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

// TestUsesWildcard: the wildcard operator counts wherever it stands, and a
// field named wildcard does not.
func TestUsesWildcard(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"wildcard operator", `{"detail":{"key":[{"wildcard":"raw/*.csv"}]}}`, true},
		{"inside anything-but", `{"source":[{"anything-but":{"wildcard":"aws.*"}}]}`, true},
		{"in an alternative", `{"$or":[{"source":["a"]},{"detail":{"key":[{"wildcard":"*.csv"}]}}]}`, true},
		{"field named wildcard", `{"detail":{"wildcard":["x"]}}`, false},
		{"field named wildcard in an alternative", `{"$or":[{"wildcard":["x"]},{"source":["a"]}]}`, false},
		{"other operators", `{"detail":{"key":[{"prefix":"raw/"},{"suffix":".csv"}]}}`, false},
		{"not JSON", `{`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := UsesWildcard(tc.pattern); got != tc.want {
				t.Errorf("UsesWildcard(%s) = %v, want %v", tc.pattern, got, tc.want)
			}
		})
	}
}
