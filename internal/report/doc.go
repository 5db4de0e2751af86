// Package report renders check findings for people and machines: text
// grouped by rule with each rule's symptom and fix once (or every finding
// in full when verbose; colour only when asked), one JSON document, SARIF
// 2.1.0 for GitHub code scanning, GitHub Actions workflow annotations,
// GitLab code-quality JSON and a Markdown summary. Machine formats keep
// every finding. It only formats; deciding what is a finding is package
// lint's job.
package report
