package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration file, located so that
// the person who edits the file can go straight to it.
type Problem struct {
	// File is the path of the file as given to Load.
	File string
	// Line is the 1-based line the problem is on, or 0 when it concerns
	// the file as a whole (its name, for example).
	Line int
	// Field is the path of the setting, such as tenantUrl,
	// reloads[3].schedule or reloads[0].variables.year; rows are numbered
	// from 0 in file order. It is empty for problems of the file itself,
	// such as a YAML syntax error.
	Field string
	// Message says what is wrong and how to fix it, in lowercase, without
	// a final period.
	Message string
}

// Error formats the problem as one line, the way compilers do, so that
// editors and CI logs link it to the file:
//
//	config/prod.yaml:12: reloads[3].schedule: day-of-month and day-of-week cannot both be set; use ? in one of them
//
// The line is left out when it is 0 and the field when it is empty.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one file, sorted by line. Load returns
// it as its error, so a caller gets all of them at once:
//
//	var problems config.Problems
//	if errors.As(err, &problems) { ... }
type Problems []Problem

// Error formats the problems one per line, in line order.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// sortByLine orders problems by line, keeping the order in which they were
// found for problems on the same line.
func (ps Problems) sortByLine() {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}
