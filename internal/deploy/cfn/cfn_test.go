package cfn

import (
	"errors"
	"strings"
	"testing"
)

const samTemplate = `
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Globals:
  Function:
    Runtime: python3.12
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "svc-${Stage}"
      Handler: app.handler
      Layers:
        - !Ref Deps
        - !GetAtt Other.Arn
      Timeout: 30
  Deps:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: python3.12
  Other:
    Type: AWS::Lambda::LayerVersion
`

func TestParseYAMLShortTags(t *testing.T) {
	tp, err := Parse([]byte(samTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if got := tp.Transform; len(got) != 1 || got[0] != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v", got)
	}
	fn := tp.Resources["Fn"]
	r := &Resolver{T: tp}
	if got, ok := r.String(fn.Properties["FunctionName"]); !ok || got != "svc-dev" {
		t.Errorf("FunctionName = %q, %v; want svc-dev", got, ok)
	}
	r.Params = map[string]string{"Stage": "prod"}
	if got, _ := r.String(fn.Properties["FunctionName"]); got != "svc-prod" {
		t.Errorf("with Stage=prod: FunctionName = %q", got)
	}
	l := fn.Properties["Layers"].([]any)
	for i, want := range []string{"Deps", "Other"} {
		if got, ok := r.RefTarget(l[i]); !ok || got != want {
			t.Errorf("layer %d = %q, %v; want %s", i, got, ok, want)
		}
	}
	if got := fn.Properties["Timeout"]; got != 30.0 {
		t.Errorf("Timeout = %#v, want 30.0", got)
	}
	if got := tp.Globals["Function"].(map[string]any)["Runtime"]; got != "python3.12" {
		t.Errorf("Globals.Function.Runtime = %v", got)
	}
}

func TestParseJSON(t *testing.T) {
	tp, err := Parse([]byte(`{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{"Handler":{"Fn::Join":["",["index",".handler"]]}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{T: tp}
	if got, ok := r.String(tp.Resources["F"].Properties["Handler"]); !ok || got != "index.handler" {
		t.Errorf("Handler = %q, %v", got, ok)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"no resources": "a: 1\n",
		"list":         "- 1\n",
		"alias":        "Resources:\n  A: &x\n    Type: T\n  B: *x\n",
		"merge":        "Resources:\n  A:\n    <<: {Type: T}\n",
		"deep":         "Resources: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n",
		"deep json":    `{"Resources":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: parsed, want an error", name)
		}
	}
	if _, err := Parse([]byte("Resources: " + strings.Repeat("[", 200) + strings.Repeat("]", 200))); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep: err = %v, want ErrTooDeep", err)
	}
}

func TestSubUnresolved(t *testing.T) {
	r := &Resolver{T: &Template{}}
	if s, ok := r.String(map[string]any{"Fn::Sub": "${AWS::Region}-x"}); ok {
		t.Errorf("resolved %q without a region", s)
	}
	r.Pseudo = map[string]string{"AWS::Region": "eu-west-1"}
	if s, ok := r.String(map[string]any{"Fn::Sub": "${AWS::Region}-x${!Literal}"}); !ok || s != "eu-west-1-x${Literal}" {
		t.Errorf("Sub = %q, %v", s, ok)
	}
}
