package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestChainUpstreams: successes are ready until a start uses them; an old
// or repeated success changes nothing; a newer one replaces the ready time
// and survives a start that used the older one.
func TestChainUpstreams(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	day := scheduled
	record := func(upstream string, at time.Time, want map[string]time.Time) {
		t.Helper()
		got, err := f.ledger.RecordUpstream(ctx, "transform", upstream, at)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("after %s at %s, ready (-got +want):\n%s", upstream, at.Format(time.RFC3339), diff)
		}
	}

	record("extract-sales", day, map[string]time.Time{"extract-sales": day})
	record("extract-stock", day.Add(30*time.Minute), map[string]time.Time{"extract-sales": day, "extract-stock": day.Add(30 * time.Minute)})
	// The same success recorded again, as a retried watcher round does.
	record("extract-sales", day, map[string]time.Time{"extract-sales": day, "extract-stock": day.Add(30 * time.Minute)})

	if err := f.ledger.UseUpstreams(ctx, "transform", map[string]time.Time{"extract-sales": day, "extract-stock": day.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// A success the start used, recorded again, is not ready again.
	record("extract-sales", day, map[string]time.Time{})
	record("extract-stock", day.Add(-time.Hour), map[string]time.Time{})

	next := day.Add(24 * time.Hour)
	record("extract-sales", next, map[string]time.Time{"extract-sales": next})
	// A start that used an older time than the one now ready keeps the
	// newer one ready.
	later := next.Add(time.Hour)
	record("extract-sales", later, map[string]time.Time{"extract-sales": later})
	if err := f.ledger.UseUpstreams(ctx, "transform", map[string]time.Time{"extract-sales": next}); err != nil {
		t.Fatal(err)
	}
	record("extract-stock", next, map[string]time.Time{"extract-sales": later, "extract-stock": next})
}
