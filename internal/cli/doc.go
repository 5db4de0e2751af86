// Package cli holds layerkit's cobra commands, one file per command, and the
// one place that maps errors to exit codes. Commands parse and validate
// flags, then call into the domain packages; no domain logic lives here.
// Data goes to stdout, progress and diagnostics to stderr.
package cli
