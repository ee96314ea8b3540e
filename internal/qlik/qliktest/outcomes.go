package qliktest

import (
	"slices"
	"time"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
)

// AddRunningReload records a reload of appID created now (by the API, as
// the reload function creates them) that follows phases, and whose script
// log, once it ended, is log (empty for the default); it returns its id.
// Tests of whatever follows reloads to their end start them this way.
func (t *Tenant) AddRunningReload(appID, log string, phases ...Phase) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &reload{
		id:       t.nextIDLocked(),
		appID:    appID,
		created:  t.now(),
		timeline: slices.Clone(phases),
		typ:      "external",
		weight:   1,
		log:      log,
	}
	t.reloads = append(t.reloads, r)
	return r.id
}

// DeleteApp deletes an app and its reloads, as deleting an app in Qlik
// does: the app and each of its reloads answer 404 from then on.
func (t *Tenant) DeleteApp(appID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.apps, appID)
	t.reloads = slices.DeleteFunc(t.reloads, func(r *reload) bool { return r.appID == appID })
}

// RequestTimes returns when (on the tenant's clock) each request to route
// arrived, faults and rate-limited ones included, in order.
func (t *Tenant) RequestTimes(route string) []time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.times[route])
}

// FinalPhases is a timeline that is queued for queued, runs for running,
// and then ends in status.
func FinalPhases(queued, running time.Duration, status qlik.Status) []Phase {
	return []Phase{{Status: qlik.StatusQueued, For: queued}, {Status: qlik.StatusReloading, For: running}, {Status: status}}
}
