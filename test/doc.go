// Package test holds the cross-package tests: golden templates of every
// environment in config/, cdk-nag checks, the change-safety rules, the CI
// workflow lint, runs of the real app and function binaries, and the synth
// benchmarks.
package test
