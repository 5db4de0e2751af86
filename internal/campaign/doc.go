// Package campaign moves fleets of Lambda functions to new runtimes and
// architectures. Scan lists every function of some regions with its
// runtime's lifecycle from the embedded catalog, most urgent first. (Plan
// and apply, with a resumable journal and rollback, build on it.)
package campaign
