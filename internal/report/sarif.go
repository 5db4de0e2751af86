package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/layerkit/layerkit/internal/lint"
)

// SARIF 2.1.0, the subset GitHub code scanning reads
// (docs.github.com: "SARIF support for code scanning").
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	Properties           map[string]any    `json:"properties"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]string `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation struct {
		URI string `json:"uri"`
	} `json:"artifactLocation"`
	Region struct {
		StartLine int `json:"startLine"`
	} `json:"region"`
}

func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "error"
	case lint.Warning:
		return "warning"
	}
	return "note"
}

// SARIF writes the report as a SARIF 2.1.0 log with every rule's help, for
// GitHub code scanning (github/codeql-action/upload-sarif). A finding on a
// zip entry points at the zip and names the entry in its message.
func SARIF(w io.Writer, r *Report, version string) error {
	rules := lint.Rules()
	index := map[string]int{}
	driver := sarifDriver{Name: "layerkit", InformationURI: "https://github.com/layerkit/layerkit", Version: version}
	for i, rule := range rules {
		index[rule.ID] = i
		help := fmt.Sprintf("%s\n\nOn Lambda: %s\n\nFix: %s", rule.Details, rule.Symptom, rule.Fix)
		md := fmt.Sprintf("%s\n\n**On Lambda:** %s\n\n**Fix:** %s", rule.Details, rule.Symptom, rule.Fix)
		driver.Rules = append(driver.Rules, sarifRule{
			ID: rule.ID, Name: rule.Name,
			ShortDescription:     sarifText{Text: rule.Summary},
			FullDescription:      sarifText{Text: rule.Details},
			Help:                 sarifText{Text: help, Markdown: md},
			DefaultConfiguration: map[string]string{"level": sarifLevel(rule.Severity)},
			Properties:           map[string]any{"tags": []string{"lambda", "packaging"}},
		})
	}
	results := make([]sarifResult, 0, len(r.Findings))
	for _, f := range r.Findings {
		msg := describe(f)
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = uri(f)
		loc.PhysicalLocation.Region.StartLine = 1
		res := sarifResult{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity), Message: sarifText{Text: msg},
			Locations: []sarifLocation{loc}, PartialFingerprints: map[string]string{"layerkitFinding/v1": fingerprint(f)}}
		if f.Path != "" || f.Function != "" {
			res.Properties = map[string]string{"artifact": f.Artifact}
			if f.Path != "" {
				res.Properties["path"] = f.Path
			}
			if f.Function != "" {
				res.Properties["function"] = f.Function
			}
		}
		results = append(results, res)
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0",
		Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// describe is a finding's message for a tool that shows it beside its file
// (uri): the entry of a zip, the target, the function and the evidence
// that the file alone does not say. The bytes are kept; JSON escapes them.
func describe(f lint.Finding) string {
	msg := f.Message
	if f.Path != "" && uri(f) != strings.TrimPrefix(f.Artifact+"/"+strings.TrimSuffix(f.Path, "/"), "./") {
		msg = f.Path + ": " + msg
	}
	if f.Target != "" {
		msg += " [" + f.Target + "]"
	}
	if f.Function != "" {
		msg = "function " + f.Function + ": " + msg
	}
	if f.Evidence != "" {
		msg += " (" + f.Evidence + ")"
	}
	return msg
}

// GitHub writes one workflow command per finding (::error, ::warning,
// ::notice), which GitHub Actions shows as annotations, then the summary
// line. Every field of a finding is shown through Printable, since the
// Actions log interprets terminal escapes.
func GitHub(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		cmd := "notice"
		switch f.Severity {
		case lint.Error:
			cmd = "error"
		case lint.Warning:
			cmd = "warning"
		}
		msg := Printable(f.Message)
		if f.Path != "" && strings.HasSuffix(f.Artifact, ".zip") {
			msg = Printable(f.Path) + ": " + msg
		}
		if f.Evidence != "" {
			msg += " (" + Printable(f.Evidence) + ")"
		}
		if f.Fix != "" {
			msg += "\nfix: " + Printable(f.Fix)
		}
		title := Printable(f.Rule + " " + f.Name)
		if f.Function != "" {
			title += " in " + Printable(f.Function)
		}
		if f.Target != "" {
			title += " [" + Printable(f.Target) + "]"
		}
		fmt.Fprintf(&b, "::%s file=%s,title=%s::%s\n", cmd, escapeProperty(Printable(uri(f))), escapeProperty(title), escapeData(msg))
	}
	b.WriteString(summaryLine(r) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData and escapeProperty escape workflow command values as the
// Actions toolkit does (@actions/core command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
