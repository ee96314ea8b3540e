package config

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// ScheduledTimePlaceholder is EventBridge Scheduler's context attribute for
// a run's nominal time. Scheduler replaces it in a target's Input at every
// invocation, so the message names the minute the run was due, which is the
// run's identity in the ledger.
const ScheduledTimePlaceholder = "<aws.scheduler.scheduled-time>"

// Input returns the message the row's schedule sends to the start queue,
// as compact JSON: appId, row, scheduledTime (Scheduler's placeholder), then
// only the fields the row sets, in the fixed order partial, variables
// (their names sorted), weight, maxDelayMinutes, timezone. A field the row
// leaves out is absent, never null or false: maxDelayMinutes appears only
// when the row sets its own, since the function knows the file's, and
// timezone (the row's effective zone, which the ledger records so that
// alerts and the history show the run's time as the row reads it) only
// when it is not UTC, which the ledger assumes without it. The output is
// deterministic, so templates do not change unless the row does.
//
// It is the function's message contract: appId (a GUID), row (the row's
// name), scheduledTime (RFC 3339), an optional partial boolean, an optional
// variables object of strings, an optional weight from 1 to 10 and an
// optional maxDelayMinutes from 1 to 1440 and an optional IANA timezone.
func (r Reload) Input() string {
	var b strings.Builder
	b.WriteString(`{"appId":`)
	writeJSONString(&b, r.AppID)
	b.WriteString(`,"row":`)
	writeJSONString(&b, r.Name)
	// Written out, not marshalled: encoding/json would escape the angle
	// brackets, and Scheduler replaces only the literal placeholder.
	b.WriteString(`,"scheduledTime":"` + ScheduledTimePlaceholder + `"`)
	if r.Partial != nil {
		b.WriteString(`,"partial":`)
		b.WriteString(strconv.FormatBool(*r.Partial))
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
	if r.Weight != 0 {
		b.WriteString(`,"weight":`)
		b.WriteString(strconv.Itoa(r.Weight))
	}
	if r.MaxDelayMinutes != 0 {
		b.WriteString(`,"maxDelayMinutes":`)
		b.WriteString(strconv.Itoa(r.MaxDelayMinutes))
	}
	if r.Timezone != "" && r.Timezone != defaultTimezone {
		b.WriteString(`,"timezone":`)
		writeJSONString(&b, r.Timezone)
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
