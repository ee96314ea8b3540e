// Package reload is the reload trigger: given an event from a schedule, it
// starts the app's reload in Qlik Cloud exactly once, or fails loudly.
//
// [Handler.Invoke] decodes the event strictly and [Handler.Handle] runs the
// flow:
//
//  1. GET /api/v1/apps/{id} and GET /api/v1/reloads?appId={id}, side by
//     side: the app must exist and grant the "reload" privilege.
//  2. If one of the app's recent reloads is QUEUED, RELOADING or CANCELING
//     (or has a status Qlik may add later), succeed with it: created false.
//  3. POST /api/v1/reloads. 201 creates the reload. A pending-reload 429
//     means one is already waiting: succeed with it. A rate-limit 429 is
//     retried after Retry-After while that fits before the deadline. An
//     unknown outcome (a timeout after sending, a 5xx) is never retried
//     blindly: the app's reloads are listed again first, and a reload that
//     was not there before is taken as this invocation's.
//  4. After a 201, poll GET /api/v1/reloads/{id} for a short, bounded time
//     until the reload leaves QUEUED, so the result tells whether it started.
//     Nothing after the 201 can fail the invocation: Lambda's asynchronous
//     retry must never start a second reload.
//
// An invocation returns an error exactly when no reload was created or
// found; the error is an [*Error] whose Kind classifies the cause and whose
// message names the fix. Every request and wait ends before the
// invocation's deadline, less a margin, so the function always answers
// before Lambda stops it.
package reload
