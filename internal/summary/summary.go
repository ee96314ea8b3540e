// Package summary writes what `make synth` prints after a synth: the
// environment, its stacks and schedules as actually synthesized, each row's
// next run in its own time zone, the busiest minute of a whole week, and
// warnings about what the table probably does not mean, so that a BI admin
// can check a change without reading templates.
package summary

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/assembly"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/config"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/schedule"
)

// QlikStartsPerMinute is Qlik Cloud's documented rate limit on starting
// reloads (POST /api/v1/reloads), per user and tenant.
const QlikStartsPerMinute = 50

// Write prints the summary of cfg as synthesized into asm, with next runs
// counted from now.
func Write(w io.Writer, cfg *config.Config, asm *assembly.Assembly, now time.Time) error {
	now = now.UTC().Truncate(time.Minute)
	fmt.Fprintf(w, "Environment %s (%s), synthesized into %s\n", cfg.Name, cfg.Path, asm.Dir)
	fmt.Fprintf(w, "  Qlik tenant  %s\n", cfg.TenantURL)
	if cfg.Account != "" {
		fmt.Fprintf(w, "  AWS          account %s, region %s\n", cfg.Account, cfg.Region)
	} else {
		fmt.Fprintf(w, "  AWS          the account and region of the credentials you deploy with\n")
	}

	scheduled, chained, events := split(cfg.Reloads)
	fmt.Fprintf(w, "  Schedules    %s\n", counted(scheduled))
	if len(chained) > 0 {
		fmt.Fprintf(w, "  Chains       %s, each run after other rows\n", counted(chained))
	}
	if len(events) > 0 {
		fmt.Fprintf(w, "  Events       %s, each an EventBridge rule on the default bus (which holds %d rules in all)\n", counted(events), config.MaxRulesPerBus)
	}

	synthesized, rules := 0, 0
	fmt.Fprintf(w, "  Stacks\n")
	for _, s := range asm.Stacks {
		counts, err := s.ResourceCounts()
		if err != nil {
			return err
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		n, err := s.RowSchedules()
		if err != nil {
			return err
		}
		r := counts["AWS::Events::Rule"]
		synthesized += n
		rules += r
		ruleText := ""
		if r > 0 {
			ruleText = fmt.Sprintf(" %3d event rules,", r)
		}
		fmt.Fprintf(w, "    %-40s %4d schedules,%s %3d resources in all\n", s.Name, n, ruleText, total)
	}
	if synthesized != len(scheduled) {
		return fmt.Errorf("%s holds %d schedules but %s has %d rows with a schedule; synthesize again", asm.Dir, synthesized, cfg.Path, len(scheduled))
	}
	if rules != len(events) {
		return fmt.Errorf("%s holds %d event rules but %s has %d rows with on; synthesize again", asm.Dir, rules, cfg.Path, len(events))
	}
	writeCapacity(w, cfg)
	if len(cfg.Reloads) == 0 {
		return nil
	}
	if err := writeNextRuns(w, scheduled, now); err != nil {
		return fmt.Errorf("%s: %w", cfg.Path, err)
	}
	writeChains(w, cfg.Reloads)
	if err := writeEvents(w, events); err != nil {
		return err
	}
	if err := writeBusiest(w, cfg, now); err != nil {
		return err
	}
	writeWarnings(w, append(slices.Clone(cfg.Warnings), cfg.RunWarnings(now)...))
	return nil
}

// split sorts the rows by how they start, keeping file order.
func split(rows []config.Reload) (scheduled, chained, events []config.Reload) {
	for _, r := range rows {
		switch {
		case len(r.After) > 0:
			chained = append(chained, r)
		case r.On != nil:
			events = append(events, r)
		default:
			scheduled = append(scheduled, r)
		}
	}
	return scheduled, chained, events
}

// counted says how many rows there are and how many are enabled.
func counted(rows []config.Reload) string {
	enabled := 0
	for _, r := range rows {
		if r.Enabled {
			enabled++
		}
	}
	return fmt.Sprintf("%d (%d enabled, %d disabled)", len(rows), enabled, len(rows)-enabled)
}

// writeNextRuns prints each scheduled row's next run in its time zone.
func writeNextRuns(w io.Writer, scheduled []config.Reload, now time.Time) error {
	if len(scheduled) == 0 {
		return nil
	}

	fmt.Fprintf(w, "\nNext runs (after %s)\n", now.Format("Mon 2 Jan 2006 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSCHEDULE\tTIME ZONE\tNEXT RUN")
	for _, r := range scheduled {
		next, err := nextRun(r, now)
		if err != nil {
			return fmt.Errorf("reloads %s: %w", r.Name, err)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Name, r.Schedule, r.Timezone, next)
	}
	return tw.Flush()
}

// writeWarnings prints what the table sets validly but probably does not
// mean, one line each with file and line, in line order.
func writeWarnings(w io.Writer, warnings config.Problems) {
	if len(warnings) == 0 {
		return
	}
	sort.SliceStable(warnings, func(i, j int) bool { return warnings[i].Line < warnings[j].Line })
	fmt.Fprintf(w, "\nWarnings (%d): the table is valid, but these are probably not meant\n", len(warnings))
	for _, p := range warnings {
		fmt.Fprintf(w, "  %s\n", p.Error())
	}
}

// writeBusiest prints the minute of a whole week with the most reload
// starts, counting each row's runs in its own time zone. The week is the
// first whole one after now (schedule.WeekAfter), so that the answer does
// not depend on the day make synth runs: a burst on Wednesdays shows on a
// Tuesday and on a Thursday alike.
func writeBusiest(w io.Writer, cfg *config.Config, now time.Time) error {
	from := schedule.WeekAfter(now)
	to := from.AddDate(0, 0, 7)
	view, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return err
	}
	counts := make(map[int64]int)
	for _, r := range cfg.Reloads {
		// Rows with a flexible window are left out: Scheduler spreads
		// them. Rates start whenever they were deployed. Chains and events
		// start when something else happens, at no minute known ahead.
		if !r.Enabled || r.FlexibleWindowMinutes > 0 || r.Schedule == "" {
			continue
		}
		expr, err := schedule.Parse(r.Schedule)
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(r.Timezone)
		if err != nil {
			return err
		}
		for _, t := range expr.Runs(from, to, loc) {
			counts[t.Unix()]++
		}
	}
	minute, n := busiest(counts)
	week := fmt.Sprintf("\nBusiest minute in the week from %s", from.In(view).Format("Mon 2 Jan 2006"))
	switch {
	case n == 0:
		fmt.Fprintf(w, "%s: no row starts at a fixed minute (rates and flexible windows are left out).\n", week)
	case n == 1:
		fmt.Fprintf(w, "%s: no minute holds more than one reload start (Qlik accepts %d a minute).\n", week, QlikStartsPerMinute)
	case n > QlikStartsPerMinute:
		fmt.Fprintf(w, "%s: %s, %d reload starts.\n", week, minute.In(view).Format("Mon 2 Jan 15:04 MST"), n)
		fmt.Fprintf(w, "  That is more than the %d a minute Qlik accepts (%d over five minutes): the rest wait on the\n"+
			"  start queue and start as Qlik's limit allows, and a run that waits longer than maxDelayMinutes\n"+
			"  goes to the dead-letter queue as TooLate. Spread them with flexibleWindowMinutes (see the README, Bursts).\n",
			QlikStartsPerMinute, 5*QlikStartsPerMinute)
	default:
		fmt.Fprintf(w, "%s: %s, %d reload starts (Qlik accepts %d a minute).\n", week, minute.In(view).Format("Mon 2 Jan 15:04 MST"), n, QlikStartsPerMinute)
	}
	return nil
}

// nextRun describes a row's next run for people.
func nextRun(r config.Reload, now time.Time) (string, error) {
	expr, err := schedule.Parse(r.Schedule)
	if err != nil {
		return "", err
	}
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil {
		return "", err
	}
	if !r.Enabled {
		return "disabled", nil
	}
	if expr.Kind() == schedule.Rate {
		return expr.Describe() + ", counted from deployment", nil
	}
	next, ok := expr.Next(now, loc)
	if !ok && expr.Kind() == schedule.At {
		return "none: that time has passed", nil
	}
	if !ok {
		return "none: no time left that the expression matches", nil
	}
	text := next.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	if r.FlexibleWindowMinutes > 0 {
		return fmt.Sprintf("%s, within %d minutes", text, r.FlexibleWindowMinutes), nil
	}
	return text, nil
}

// busiest returns the minute (Unix seconds) with the most starts, the
// earliest on a tie.
func busiest(counts map[int64]int) (time.Time, int) {
	var best int64
	n := 0
	for m, c := range counts {
		if c > n || c == n && m < best {
			best, n = m, c
		}
	}
	return time.Unix(best, 0).UTC(), n
}

// writeCapacity warns when a schedule stack is above 80% of its capacity
// (schedules or template size), naming the scheduleStacks that keeps every
// stack at most 80% full and how many rows that change moves.
func writeCapacity(w io.Writer, cfg *config.Config) {
	var full []config.StackLoad
	for _, l := range config.StackLoads(cfg.Name, cfg.Reloads, cfg.ScheduleStacks) {
		if l.Fullness() > 0.8 {
			full = append(full, l)
		}
	}
	if len(full) == 0 {
		return
	}
	for _, l := range full {
		fmt.Fprintf(w, "  Warning: stack %d is %.0f%% full (%d of %d schedules, %d of %d KB of template).\n",
			l.Index, 100*l.Fullness(), l.Schedules, config.MaxSchedulesPerStack, l.Bytes/1000, config.MaxScheduleBytesPerStack/1000)
	}
	n := config.RoomyStackCount(cfg.Name, cfg.Reloads)
	if n == 0 {
		fmt.Fprintf(w, "  Even the most stacks allowed fill above 80%%: split the table into several environments.\n")
		return
	}
	fmt.Fprintf(w, "  Set scheduleStacks: %d to keep every stack under 80%%; that moves %d of %d rows to other stacks, each schedule replaced once.\n",
		n, config.MovedRows(cfg.Reloads, cfg.ScheduleStacks, n), len(cfg.Reloads))
}
