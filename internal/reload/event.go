package reload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits Qlik puts on POST /api/v1/reloads.
const (
	MaxVariables      = 20
	MaxVariableLength = 256
	MinWeight         = 1
	MaxWeight         = 10
)

// Event is the input of one invocation, as EventBridge Scheduler sends it:
// {"appId": "<GUID>"} and, optionally, partial, variables and weight.
type Event struct {
	// AppID is the GUID of the app to reload.
	AppID string `json:"appId"`
	// Partial asks for a partial reload.
	Partial bool `json:"partial,omitempty"`
	// Variables are set before the reload script runs.
	Variables map[string]string `json:"variables,omitempty"`
	// Weight is the reload's priority in the tenant's queue, 1 to 10; zero
	// means the event did not set it (Qlik's default is 1).
	Weight int `json:"weight,omitempty"`
}

// eventFields are the members an event may have, in the order messages
// list them.
var eventFields = []string{"appId", "partial", "variables", "weight"}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// FieldError is one problem with one member of the event.
type FieldError struct {
	// Field is the member's name, or a path such as variables["x"]; empty
	// for a problem with the event as a whole.
	Field   string
	Problem string
}

func (f FieldError) String() string {
	if f.Field == "" {
		return f.Problem
	}
	return f.Field + ": " + f.Problem
}

// EventError lists every problem found in an event.
type EventError struct {
	Problems []FieldError
}

// Error lists the problems, each naming its field.
func (e *EventError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid event: " + strings.Join(parts, "; ")
}

// Fields returns the names of the fields with problems, in order.
func (e *EventError) Fields() []string {
	out := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		out = append(out, p.Field)
	}
	return out
}

// Member is one member of a JSON object, as DecodeMembers reads it.
type Member struct {
	Name string
	Raw  json.RawMessage
}

// DecodeEvent decodes and validates an event strictly: it must be one JSON
// object whose member names match exactly (so "appID" or "AppId" is an
// unknown field, not a silent alias as encoding/json would make it), with
// no duplicate members and nothing after it. Every problem is reported, each
// naming its field, so that a typo in a schedule's input fails loudly
// instead of changing what runs.
func DecodeEvent(data []byte) (Event, error) {
	members, err := DecodeMembers(data)
	if err != nil {
		return Event{}, &EventError{Problems: []FieldError{{Problem: err.Error()}}}
	}
	var ev Event
	var problems []FieldError
	add := func(field, format string, args ...any) {
		problems = append(problems, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.Name] {
			add(m.Name, "appears more than once")
			continue
		}
		seen[m.Name] = true
		switch m.Name {
		case "appId":
			s, ok := decodeString(m.Raw)
			if !ok {
				add("appId", "must be a string holding the app's GUID")
				continue
			}
			ev.AppID = s
		case "partial":
			switch string(m.Raw) {
			case "true":
				ev.Partial = true
			case "false":
			default:
				add("partial", "must be true or false")
			}
		case "variables":
			vars, ps := decodeVariables(m.Raw)
			problems = append(problems, ps...)
			ev.Variables = vars
		case "weight":
			n, err := strconv.Atoi(string(m.Raw))
			if err != nil || n < MinWeight || n > MaxWeight {
				add("weight", "must be a whole number from %d to %d, got %s", MinWeight, MaxWeight, truncate(string(m.Raw)))
				continue
			}
			ev.Weight = n
		default:
			problem := fmt.Sprintf("unknown field (an event has %s)", strings.Join(eventFields, ", "))
			if i := slices.IndexFunc(eventFields, func(f string) bool { return strings.EqualFold(f, m.Name) }); i >= 0 {
				problem = fmt.Sprintf("unknown field; did you mean %q?", eventFields[i])
			}
			add(strconv.Quote(truncate(m.Name)), "%s", problem)
		}
	}
	if !seen["appId"] {
		add("appId", "is required")
	}
	// The checks of values that decoded well run even when others did not,
	// so that one look at the error shows every problem; a field already
	// reported is not reported twice.
	reported := map[string]bool{}
	for _, p := range problems {
		reported[p.Field] = true
	}
	for _, p := range ev.validate() {
		if !reported[p.Field] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return Event{}, &EventError{Problems: problems}
	}
	return ev, nil
}

// Validate checks an event built in code as DecodeEvent checks a decoded
// one.
func (ev Event) Validate() error {
	if problems := ev.validate(); len(problems) > 0 {
		return &EventError{Problems: problems}
	}
	return nil
}

func (ev Event) validate() []FieldError {
	var problems []FieldError
	if !guidPattern.MatchString(ev.AppID) {
		problems = append(problems, FieldError{Field: "appId", Problem: fmt.Sprintf("must be a GUID such as 116dbfae-7fb9-4983-8e23-5ccd8c508722, got %q", truncate(ev.AppID))})
	}
	if ev.Weight != 0 && (ev.Weight < MinWeight || ev.Weight > MaxWeight) {
		problems = append(problems, FieldError{Field: "weight", Problem: fmt.Sprintf("must be a whole number from %d to %d, got %d", MinWeight, MaxWeight, ev.Weight)})
	}
	if len(ev.Variables) > MaxVariables {
		problems = append(problems, FieldError{Field: "variables", Problem: fmt.Sprintf("has %d entries; Qlik accepts at most %d", len(ev.Variables), MaxVariables)})
	}
	names := make([]string, 0, len(ev.Variables))
	for name := range ev.Variables {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		field := "variables[" + strconv.Quote(truncate(name)) + "]"
		switch n := utf8.RuneCountInString(name); {
		case n == 0:
			problems = append(problems, FieldError{Field: "variables", Problem: "has a variable with an empty name"})
		case n > MaxVariableLength:
			problems = append(problems, FieldError{Field: field, Problem: fmt.Sprintf("name is %d characters; Qlik accepts at most %d", n, MaxVariableLength)})
		}
		if n := utf8.RuneCountInString(ev.Variables[name]); n > MaxVariableLength {
			problems = append(problems, FieldError{Field: field, Problem: fmt.Sprintf("value is %d characters; Qlik accepts at most %d", n, MaxVariableLength)})
		}
	}
	return problems
}

func decodeVariables(raw json.RawMessage) (map[string]string, []FieldError) {
	members, err := DecodeMembers(raw)
	if err != nil {
		return nil, []FieldError{{Field: "variables", Problem: "must be an object of variable names to string values"}}
	}
	var problems []FieldError
	vars := make(map[string]string, len(members))
	for _, m := range members {
		field := "variables[" + strconv.Quote(truncate(m.Name)) + "]"
		if _, dup := vars[m.Name]; dup {
			problems = append(problems, FieldError{Field: field, Problem: "appears more than once"})
			continue
		}
		s, ok := decodeString(m.Raw)
		if !ok {
			problems = append(problems, FieldError{Field: field, Problem: "value must be a string"})
			continue
		}
		vars[m.Name] = s
	}
	if len(vars) == 0 {
		// An empty object asks for nothing; nil keeps the event equal to
		// one without the member.
		vars = nil
	}
	return vars, problems
}

// DecodeMembers reads one JSON object and returns its members in order,
// repeated ones included, and fails on anything after it. Decoders of
// messages that carry an event among other members use it to check them
// as strictly as DecodeEvent checks an event.
func DecodeMembers(data []byte) ([]Member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, errors.New("the event is not valid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("the event must be a JSON object such as {\"appId\": \"<GUID>\"}")
	}
	var members []Member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("the event is not valid JSON")
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("the event is not valid JSON")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("the event is not valid JSON")
		}
		members = append(members, Member{Name: name, Raw: raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("the event is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the event has data after its JSON object")
	}
	return members, nil
}

// decodeString decodes a JSON string; null and other types are refused.
func decodeString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// truncate keeps messages short when an event carries something huge.
func truncate(s string) string {
	const maxLen = 64
	if utf8.RuneCountInString(s) <= maxLen {
		return s
	}
	r := []rune(s)
	return string(r[:maxLen]) + "..."
}
