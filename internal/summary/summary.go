// Package summary writes what `make synth` prints after a synth: the
// environment, its stacks and schedules as actually synthesized, each row's
// next run in its own time zone, and the busiest minute ahead, so that a BI
// admin can check a change without reading templates.
package summary

import (
	"fmt"
	"io"
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

// busyWindow is how far ahead the busiest minute is looked for.
const busyWindow = 24 * time.Hour

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

	enabled := 0
	for _, r := range cfg.Reloads {
		if r.Enabled {
			enabled++
		}
	}
	fmt.Fprintf(w, "  Schedules    %d (%d enabled, %d disabled)\n", len(cfg.Reloads), enabled, len(cfg.Reloads)-enabled)

	synthesized := 0
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
		synthesized += n
		fmt.Fprintf(w, "    %-40s %4d schedules, %3d resources in all\n", s.Name, n, total)
	}
	if synthesized != len(cfg.Reloads) {
		return fmt.Errorf("%s holds %d schedules but %s has %d rows; synthesize again", asm.Dir, synthesized, cfg.Path, len(cfg.Reloads))
	}
	if len(cfg.Reloads) == 0 {
		return nil
	}

	fmt.Fprintf(w, "\nNext runs (after %s)\n", now.Format("Mon 2 Jan 2006 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSCHEDULE\tTIME ZONE\tNEXT RUN")
	var starts []time.Time
	for _, r := range cfg.Reloads {
		next, busy, err := nextRun(r, now)
		if err != nil {
			return fmt.Errorf("%s: reloads %s: %w", cfg.Path, r.Name, err)
		}
		starts = append(starts, busy...)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Name, r.Schedule, r.Timezone, next)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if minute, n := busiest(starts); n > 1 {
		fmt.Fprintf(w, "\nBusiest minute in the next 24 hours: %s, %d reload starts", minute.Format("Mon 2 Jan 15:04 MST"), n)
		if n > QlikStartsPerMinute {
			fmt.Fprintf(w, ".\n  That is more than the %d a minute Qlik accepts: the rest wait for Qlik's rate limit and may\n"+
				"  reach the dead-letter queue. Spread them with flexibleWindowMinutes (see the README, Bursts).\n", QlikStartsPerMinute)
		} else {
			fmt.Fprintf(w, " (Qlik accepts %d a minute).\n", QlikStartsPerMinute)
		}
	}
	return nil
}

// nextRun describes a row's next run for people and returns its start times
// within busyWindow, for the burst check. Rows with a flexible window are
// left out of that check: Scheduler spreads them.
func nextRun(r config.Reload, now time.Time) (string, []time.Time, error) {
	expr, err := schedule.Parse(r.Schedule)
	if err != nil {
		return "", nil, err
	}
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil {
		return "", nil, err
	}
	if !r.Enabled {
		return "disabled", nil, nil
	}
	if expr.Kind() == schedule.Rate {
		return expr.Describe() + ", counted from deployment", nil, nil
	}
	next, ok := expr.Next(now, loc)
	if !ok && expr.Kind() == schedule.At {
		return "none: that time has passed", nil, nil
	}
	if !ok {
		return "none: no time left that the expression matches", nil, nil
	}
	text := next.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	if r.FlexibleWindowMinutes > 0 {
		return fmt.Sprintf("%s, within %d minutes", text, r.FlexibleWindowMinutes), nil, nil
	}
	var starts []time.Time
	for t := next; ok && t.Sub(now) <= busyWindow; t, ok = expr.Next(t, loc) {
		starts = append(starts, t)
	}
	return text, starts, nil
}

// busiest returns the minute with the most starts, the earliest on a tie.
func busiest(starts []time.Time) (time.Time, int) {
	count := make(map[time.Time]int, len(starts))
	for _, t := range starts {
		count[t.UTC().Truncate(time.Minute)]++
	}
	minutes := make([]time.Time, 0, len(count))
	for m := range count {
		minutes = append(minutes, m)
	}
	sort.Slice(minutes, func(i, j int) bool { return minutes[i].Before(minutes[j]) })
	var best time.Time
	n := 0
	for _, m := range minutes {
		if count[m] > n {
			best, n = m, count[m]
		}
	}
	return best, n
}
