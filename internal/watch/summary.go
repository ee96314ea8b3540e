package watch

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxSummary bounds an error summary, in bytes: enough for the lines that
// say why a script stopped, small enough for an alert and a ledger item.
const MaxSummary = 1024

// logStamp is the timestamp (and optional line counter) Qlik's script log
// puts before each line: it says nothing the reload's end time does not.
var logStamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\s+(?:\d{4}\s+)?`)

// boilerplate are log lines that end every log, failed or not.
var boilerplate = map[string]bool{
	"execution finished.": true,
	"execution finished":  true,
}

// Summarize returns the short error summary of a failed reload: Qlik's
// error code and message, then the last meaningful lines of its script log
// (no blank lines, separators, timestamps or the closing boilerplate),
// together at most MaxSummary bytes. The log and message come through the
// Qlik client, which has removed the credential from them already.
func Summarize(log, errorCode, errorMessage string) string {
	var head string
	switch {
	case errorCode != "" && errorMessage != "":
		head = errorCode + ": " + oneLine(errorMessage)
	case errorCode != "" || errorMessage != "":
		head = errorCode + oneLine(errorMessage)
	}
	head = truncate(head, MaxSummary)
	room := MaxSummary - len(head)
	if head != "" {
		room-- // the newline after it
	}
	var tail []string
	lines := strings.Split(strings.ReplaceAll(log, "\r\n", "\n"), "\n")
	for i := len(lines) - 1; i >= 0 && room > 0; i-- {
		line := strings.TrimSpace(logStamp.ReplaceAllString(strings.TrimSpace(lines[i]), ""))
		if !meaningful(line) || (head != "" && strings.Contains(head, line)) {
			continue
		}
		if len(line)+1 > room {
			if len(tail) == 0 {
				tail = append(tail, truncate(line, room-1))
			}
			break
		}
		tail = append(tail, line)
		room -= len(line) + 1
	}
	var b strings.Builder
	b.WriteString(head)
	for i := len(tail) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(tail[i])
	}
	return b.String()
}

func meaningful(line string) bool {
	if line == "" || boilerplate[strings.ToLower(line)] {
		return false
	}
	return strings.ContainsFunc(line, func(r rune) bool {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > utf8.RuneSelf
	})
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncate cuts s to at most n bytes on a character boundary, marking the
// cut with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 3 {
		return ""
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
