// Package cfn reads CloudFormation templates, JSON or YAML with the
// short-form intrinsic tags (!Ref, !GetAtt, !Sub, ...), into plain values,
// and resolves the intrinsics that can be resolved offline: Ref to a
// parameter, Fn::Sub and Fn::Join on literal parts.
package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is a parsed CloudFormation (or SAM) template. Values are what
// JSON decodes to: map[string]any, []any, string, float64, bool, nil;
// short-form YAML tags become their long form ({"Ref": x},
// {"Fn::GetAtt": [r, a]}, ...).
type Template struct {
	Parameters map[string]Parameter
	Resources  map[string]Resource
	// Globals is SAM's Globals section; nil elsewhere.
	Globals map[string]any
	// Transform lists the template's transforms (AWS::Serverless-2016-10-31
	// for SAM).
	Transform []string
}

// Parameter is one template parameter.
type Parameter struct {
	Type    string
	Default any
}

// Resource is one template resource.
type Resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Condition  string
}

// ErrTooDeep reports a template nested deeper than any real one.
var ErrTooDeep = errors.New("nested too deeply")

// maxDepth bounds nesting: real templates stay under twenty levels.
const maxDepth = 100

// Parse reads a template in JSON or YAML.
func Parse(data []byte) (*Template, error) {
	var doc any
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		d := json.NewDecoder(bytes.NewReader(data))
		if err := d.Decode(&doc); err != nil {
			return nil, err
		}
	} else {
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			return nil, err
		}
		var err error
		if doc, err = fromNode(&n, 0); err != nil {
			return nil, err
		}
	}
	if depth(doc, 0) > maxDepth {
		return nil, ErrTooDeep
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a template: the document is %s, not a mapping", kindOf(doc))
	}
	t := &Template{Parameters: map[string]Parameter{}, Resources: map[string]Resource{}}
	if ps, ok := top["Parameters"].(map[string]any); ok {
		for k, v := range ps {
			m, _ := v.(map[string]any)
			t.Parameters[k] = Parameter{Type: str(m["Type"]), Default: m["Default"]}
		}
	}
	rs, ok := top["Resources"].(map[string]any)
	if !ok {
		return nil, errors.New("not a template: no Resources mapping")
	}
	for k, v := range rs {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s: %s, not a mapping", k, kindOf(v))
		}
		r := Resource{Type: str(m["Type"]), Condition: str(m["Condition"])}
		r.Properties, _ = m["Properties"].(map[string]any)
		r.Metadata, _ = m["Metadata"].(map[string]any)
		t.Resources[k] = r
	}
	t.Globals, _ = top["Globals"].(map[string]any)
	switch tr := top["Transform"].(type) {
	case string:
		t.Transform = []string{tr}
	case []any:
		for _, v := range tr {
			if s, ok := v.(string); ok {
				t.Transform = append(t.Transform, s)
			}
		}
	}
	return t, nil
}

func depth(v any, d int) int {
	if d > maxDepth {
		return d
	}
	best := d
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			best = max(best, depth(x, d+1))
		}
	case []any:
		for _, x := range v {
			best = max(best, depth(x, d+1))
		}
	}
	return best
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case nil:
		return "empty"
	}
	return "a scalar"
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// shortTags maps YAML's short-form tags to their long-form keys.
var shortTags = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join",
	"!If": "Fn::If", "!Select": "Fn::Select", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap",
	"!ImportValue": "Fn::ImportValue", "!GetAZs": "Fn::GetAZs", "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr",
	"!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!Transform": "Fn::Transform",
	"!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
}

// fromNode turns a YAML node into plain values, short tags into long form.
// Aliases are refused: templates do not use them, and they are how a small
// document expands without bound.
func fromNode(n *yaml.Node, d int) (any, error) {
	if d > maxDepth {
		return nil, ErrTooDeep
	}
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromNode(n.Content[0], d+1)
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not read in templates", n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key that is not a scalar", k.Line)
			}
			if k.Value == "<<" {
				return nil, fmt.Errorf("line %d: YAML merge keys are not read in templates", k.Line)
			}
			x, err := fromNode(n.Content[i+1], d+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := fromNode(c, d+1)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
		}
		v = l
	case yaml.ScalarNode:
		v = scalar(n)
	}
	if long, ok := shortTags[n.Tag]; ok {
		if long == "Fn::GetAtt" {
			if s, ok := v.(string); ok { // !GetAtt Res.Attr
				r, a, _ := strings.Cut(s, ".")
				v = []any{r, a}
			}
		}
		return map[string]any{long: v}, nil
	}
	return v, nil
}

func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
			return f
		}
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!null":
		return nil
	}
	return n.Value
}
