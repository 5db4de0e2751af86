// Package campaign moves fleets of Lambda functions to new runtimes and
// architectures. Scan lists every function of some regions with its
// runtime's lifecycle from the embedded catalog, most urgent first. (Plan
// and apply, with a resumable journal and rollback, build on it.)
//
// Across the accounts of an organization, ScanAccounts and PlanAccounts
// read every account-region side by side, each held to its own rate
// (Lambda's quotas are per account and region), through clients a Connect
// gives per account (a role assumed there); ApplyAccounts and
// RollbackAccounts change them likewise. Split cuts a plan into pieces by
// account, region or account-region, each a plan of its own with its own
// journal, for a CI matrix to run. The package does not list accounts or
// assume roles itself: internal/aws/orgs does.
package campaign
