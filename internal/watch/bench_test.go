package watch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik/qliktest"
)

// BenchmarkReadsPerReload follows reloads that run 30 minutes, the watcher
// running every minute from the start, and counts the Qlik reads spent on
// each (target: at most 8) and how long after its end the run's outcome
// was recorded.
func BenchmarkReadsPerReload(b *testing.B) {
	h := newHarness(b)
	w := h.watcher(100, 12*time.Hour)
	ctx := context.Background()
	var reads, lag time.Duration
	for i := 0; b.Loop(); i++ {
		before := h.tenant.Count(qliktest.RouteGetReload)
		key := h.startRun(fmt.Sprintf("bench-%d", i), salesApp, "UTC", "",
			qliktest.FinalPhases(0, 30*time.Minute, qlik.StatusSucceeded)...)
		ended := h.clock.Now().Add(30 * time.Minute)
		for range 60 {
			if _, err := w.Run(ctx); err != nil {
				b.Fatal(err)
			}
			if h.run(key).Status == "SUCCEEDED" {
				break
			}
			h.clock.Advance(time.Minute)
		}
		if h.run(key).Status != "SUCCEEDED" {
			b.Fatalf("%s not recorded within an hour", key)
		}
		reads += time.Duration(h.tenant.Count(qliktest.RouteGetReload) - before)
		lag += h.clock.Now().Sub(ended)
		h.clock.Advance(time.Minute)
	}
	b.ReportMetric(float64(reads)/float64(b.N), "reads/reload")
	b.ReportMetric(lag.Minutes()/float64(b.N), "minutes-late")
}

// BenchmarkRoundPerRun times rounds of 100 due runs whose reloads are
// still running (the ledger on dynalite, the tenant on loopback HTTP) and
// reports the watcher's time per run checked.
func BenchmarkRoundPerRun(b *testing.B) {
	const runs = 100
	h := newHarness(b)
	w := h.watcher(runs, 12*time.Hour)
	for i := range runs {
		h.startRun(fmt.Sprintf("bench-%03d", i), salesApp, "UTC", "", qliktest.Phase{Status: qlik.StatusReloading})
	}
	ctx := context.Background()
	checked := 0
	for b.Loop() {
		rep, err := w.Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		checked += rep.Reads
		// Past the longest backoff: every run is due again.
		h.clock.Advance(11 * time.Minute)
	}
	if checked < b.N*runs {
		b.Fatalf("checked %d runs in %d rounds, want %d each", checked, b.N, runs)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(checked), "µs/run")
}
