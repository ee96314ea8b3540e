package config

import (
	"fmt"
	"strings"
)

// layoutProblem finds the line that breaks the file's indentation, to
// explain a YAML syntax error. The parser reports such errors on the line
// of the key before the one to fix, in its own terms ("mapping value is not
// allowed in this context"), and a tab as a character nobody can see. It
// returns the line and what to do about it, or 0 when the indentation looks
// right.
//
// It reads the file as block-style YAML, the way the example is written:
// each line is a setting, a row's first setting after "- ", or a comment.
// Lines inside flow collections ([...], {...}) and block scalars (| and >)
// are skipped.
func layoutProblem(data []byte) (int, string) {
	type level struct {
		indent int
		dash   bool // the level of a list's "- " marks
	}
	stack := []level{{indent: 0}}
	top := func() level { return stack[len(stack)-1] }
	prevKeyIndent, prevOpens, first := 0, false, true
	blockParent, flowDepth := -1, 0

	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		raw = strings.TrimRight(raw, "\r")
		content := strings.TrimLeft(raw, " \t")
		lead := raw[:len(raw)-len(content)]
		indent := len(lead)
		if content == "" || strings.HasPrefix(content, "#") {
			continue
		}
		if blockParent >= 0 {
			if indent > blockParent {
				continue
			}
			blockParent = -1
		}
		if strings.Contains(lead, "\t") {
			return n, "a tab indents this line, and YAML allows only spaces; indent with spaces"
		}
		if flowDepth > 0 {
			flowDepth += flowBalance(content)
			continue
		}
		if strings.HasPrefix(content, "---") || strings.HasPrefix(content, "...") {
			continue
		}
		dash := content == "-" || strings.HasPrefix(content, "- ")
		rest, keyIndent := content, indent
		if dash {
			rest = strings.TrimLeft(content[1:], " ")
			keyIndent = indent + len(content) - len(rest)
		}

		switch {
		case first:
			first = false
		case indent > prevKeyIndent && !prevOpens:
			return n, fmt.Sprintf("this line is indented by %s, more than the line above (%d), which already has its value; indent with spaces so that it lines up with the settings it belongs with", spaces(indent), prevKeyIndent)
		case indent > prevKeyIndent:
			stack = append(stack, level{indent: indent, dash: dash})
		default:
			for top().indent > indent {
				stack = stack[:len(stack)-1]
			}
			if top().indent != indent {
				return n, fmt.Sprintf("this line is indented by %s, which lines up with none of the lines above; indent with spaces so that it lines up with the settings it belongs with", spaces(indent))
			}
			if top().dash && !dash {
				// In the compact style the dashes line up with the key of
				// the list; a line of the enclosing mapping ends the list.
				if len(stack) > 1 && stack[len(stack)-2].indent == indent {
					stack = stack[:len(stack)-1]
				} else {
					return n, fmt.Sprintf("this line lines up with the \"- \" of the rows above but has none: a new row starts with \"- \"; write - %s", strings.TrimSpace(withoutComment(content)))
				}
			}
		}
		if dash && !(top().indent == indent && top().dash) {
			stack = append(stack, level{indent: indent, dash: true})
		}
		if dash && rest != "" {
			stack = append(stack, level{indent: keyIndent})
		}

		value := strings.TrimSpace(withoutComment(rest))
		prevKeyIndent, prevOpens = keyIndent, value == "" || strings.HasSuffix(value, ":")
		if _, after, ok := strings.Cut(value, ": "); ok {
			after = strings.TrimSpace(after)
			if strings.HasPrefix(after, "|") || strings.HasPrefix(after, ">") {
				blockParent = keyIndent
			}
			flowDepth = max(flowBalance(after), 0)
		}
	}
	return 0, ""
}

// withoutComment removes a trailing comment from a line: a # after a space,
// outside quotes.
func withoutComment(s string) string {
	var quote rune
	for i, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || s[i-1] == ' '):
			return s[:i]
		}
	}
	return s
}

// flowBalance returns how many flow collections a line opens and does not
// close.
func flowBalance(s string) int {
	s = withoutComment(s)
	return strings.Count(s, "[") + strings.Count(s, "{") - strings.Count(s, "]") - strings.Count(s, "}")
}

// spaces says "1 space" or "n spaces".
func spaces(n int) string {
	if n == 1 {
		return "1 space"
	}
	return fmt.Sprintf("%d spaces", n)
}
