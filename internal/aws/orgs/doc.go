// Package orgs finds the accounts of an AWS Organization and reaches into
// them: Accounts lists the ACTIVE member accounts (all of them, or those
// under one organizational unit and its children), and Assume gives an
// account's configuration with the credentials of a role assumed there.
// It lists and assumes; it does not create accounts or roles.
package orgs
