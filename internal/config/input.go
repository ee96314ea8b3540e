package config

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Input returns the event the row's schedule sends to the reload function,
// as compact JSON: appId, then only the fields the row sets, in the fixed
// order partial, weight, variables (their names sorted). A field the row
// leaves out is absent, never null or false. The output is deterministic,
// so templates do not change unless the row does.
//
// It is the function's event contract: appId (a GUID), an optional partial
// boolean, an optional weight from 1 to 10 and an optional variables object
// of strings. The function rejects any other field.
func (r Reload) Input() string {
	var b strings.Builder
	b.WriteString(`{"appId":`)
	writeJSONString(&b, r.AppID)
	if r.Partial != nil {
		b.WriteString(`,"partial":`)
		b.WriteString(strconv.FormatBool(*r.Partial))
	}
	if r.Weight != 0 {
		b.WriteString(`,"weight":`)
		b.WriteString(strconv.Itoa(r.Weight))
	}
	if len(r.Variables) > 0 {
		b.WriteString(`,"variables":{`)
		names := make([]string, 0, len(r.Variables))
		for name := range r.Variables {
			names = append(names, name)
		}
		slices.Sort(names)
		for i, name := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, name)
			b.WriteByte(':')
			writeJSONString(&b, r.Variables[name])
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.String()
}

// writeJSONString writes s as a JSON string.
func writeJSONString(b *strings.Builder, s string) {
	// Marshalling a string cannot fail.
	quoted, _ := json.Marshal(s)
	b.Write(quoted)
}
