package summary

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
)

// writeChains prints the chains as trees: each row that starts on its own
// (on a schedule or an event) and has rows after it, then those rows
// indented below it, and theirs below them. A row after several rows is
// drawn in full under the first of them in the file, and named with a
// pointer under the others, so that each subtree is printed once.
func writeChains(w io.Writer, rows []config.Reload) {
	downstream := map[string][]config.Reload{}
	for _, r := range rows {
		for _, up := range r.After {
			downstream[up] = append(downstream[up], r)
		}
	}
	if len(downstream) == 0 {
		return
	}
	fmt.Fprintf(w, "\nChains (a row starts once every row it runs after has SUCCEEDED since its last start)\n")
	drawn := map[string]bool{}
	var draw func(r config.Reload, indent string, last bool, parent string)
	draw = func(r config.Reload, indent string, last bool, parent string) {
		branch, more := "├── ", "│   "
		if last {
			branch, more = "└── ", "    "
		}
		var notes []string
		if others := slices.DeleteFunc(slices.Clone(r.After), func(n string) bool { return n == parent }); len(others) > 0 {
			notes = append(notes, "also after "+strings.Join(others, ", "))
		}
		if !r.Enabled {
			notes = append(notes, "disabled")
		}
		if drawn[r.Name] {
			fmt.Fprintf(w, "  %s%s%s (after %s; drawn above)\n", indent, branch, r.Name, strings.Join(r.After, ", "))
			return
		}
		drawn[r.Name] = true
		note := ""
		if len(notes) > 0 {
			note = " (" + strings.Join(notes, "; ") + ")"
		}
		fmt.Fprintf(w, "  %s%s%s%s\n", indent, branch, r.Name, note)
		children := downstream[r.Name]
		for i, c := range children {
			draw(c, indent+more, i == len(children)-1, r.Name)
		}
	}
	for _, r := range rows {
		if len(r.After) > 0 || len(downstream[r.Name]) == 0 {
			continue
		}
		start := r.Schedule
		if r.On != nil {
			start = r.On.Describe()
		}
		fmt.Fprintf(w, "  %s (%s%s)\n", r.Name, start, disabled(r))
		children := downstream[r.Name]
		for i, c := range children {
			draw(c, "", i == len(children)-1, r.Name)
		}
	}
}

// disabled marks a row that does not run.
func disabled(r config.Reload) string {
	if !r.Enabled {
		return ", disabled"
	}
	return ""
}

// writeEvents prints each event row's trigger and debounce window.
func writeEvents(w io.Writer, events []config.Reload) error {
	if len(events) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nEvents (the events of one debounce window start one reload)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tDEBOUNCE\tSTARTS ON")
	for _, r := range events {
		window := fmt.Sprintf("%d min", r.DebounceMinutes)
		if !r.Enabled {
			window = "disabled"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Name, window, r.On.Describe())
	}
	return tw.Flush()
}
