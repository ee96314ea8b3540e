// Package stacks turns one environment's validated configuration into CDK
// stacks: the core stack (the credential secret, the start queue, the run
// ledger, the reload function and its role, the watcher that follows each
// reload to its end with its own role and minute schedule, the dead-letter
// queue, the alarms, the dashboard, the Scheduler role and schedule group)
// and the schedules, one AWS::Scheduler::Schedule per row of the table, each
// sending its runs to the start queue.
//
// Stacks only compose constructs; each construct takes a Props struct. Nothing
// here reads the environment, calls AWS or depends on the order of the rows:
// construct IDs derive from stable names, so the same commit and config
// always synthesize the same templates.
package stacks
