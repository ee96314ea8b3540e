// Package reload is the reload trigger: given an event from a schedule, it
// starts the app's reload in Qlik Cloud exactly once, or fails loudly.
//
// [Handler.Invoke] decodes the event strictly and [Handler.Handle] runs the
// flow:
//
//  1. GET /api/v1/apps/{id} and GET /api/v1/reloads?appId={id}, side by
//     side: the app must exist and grant the "reload" privilege.
//  2. If one of the app's recent reloads is QUEUED or RELOADING (or has a
//     status Qlik may add later) and of the event's kind (the same
//     Partial), succeed with it: created false. A CANCELING reload, and an
//     active reload of the other kind, do not satisfy the event (see
//     firstActive for why).
//  3. POST /api/v1/reloads. Every 2xx creates the reload, even when its
//     body cannot be read. A pending-reload 429, recognised by its code or
//     text, means one is already waiting: succeed with it. Any other 429 is
//     a rate limit, retried after Retry-After while the wait and one more
//     attempt fit. The POST is sent only while one attempt fits before the
//     deadline less one request timeout, which stays reserved for the
//     look-up after an unknown outcome (a timeout or reset after sending, a
//     5xx): such a POST is never retried blindly: the app's reloads are
//     listed again first, and a reload of the event's kind that was not
//     there before is taken as this invocation's. A token that cannot be
//     had is not an unknown outcome: the POST was not sent.
//  4. After a 201, poll GET /api/v1/reloads/{id} for a short, bounded time
//     until the reload leaves QUEUED, so the result tells whether it
//     started: 250 ms after the 201, then every 500 ms, so a reload queued
//     one second costs five reads of the tenant's budget in all. Nothing
//     after the 201 can fail the invocation: Lambda's asynchronous retry
//     must never start a second reload.
//
// An invocation returns an error exactly when no reload was created or
// found; the error is an [*Error] whose Kind classifies the cause and whose
// message names the fix. Every request and wait ends before the
// invocation's deadline, less a margin, so the function always answers
// before Lambda stops it.
package reload
