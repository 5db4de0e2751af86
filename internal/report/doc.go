// Package report renders check findings for people and machines: text
// grouped by artifact (colour only when asked), one JSON document, SARIF
// 2.1.0 for GitHub code scanning, and GitHub Actions workflow annotations.
// It only formats; deciding what is a finding is package lint's job.
package report
