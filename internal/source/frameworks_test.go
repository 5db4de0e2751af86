package source

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
)

// The fixtures are what each framework's own CLI wrote (each with the
// script that regenerates it). Each plants an x86_64 library in an arm64
// function's layer, a CPython 3.11 extension in a python3.12 function's
// layer, and a handler whose file is not in the code; one function is
// clean. The tests say exactly which function gets which error.

// errorsByFunction lists "function rule path" for every error.
func errorsByFunction(fs []lint.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == lint.Error {
			out = append(out, f.Function+" "+f.Rule+" "+f.Path)
		}
	}
	slices.Sort(out)
	return out
}

func checkFixture(t *testing.T, framework, path string, want []string) *Result {
	t.Helper()
	for _, forced := range []string{"", framework} {
		res, err := Run(t.Context(), Request{Paths: []string{path}, Framework: forced})
		if err != nil {
			t.Fatalf("--framework %q: %v", forced, err)
		}
		if got := errorsByFunction(res.Findings); !slices.Equal(got, want) {
			t.Errorf("--framework %q: errors\n  %s\nwant\n  %s", forced, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		for _, f := range res.Findings {
			if f.Function == "" {
				t.Errorf("finding without a function: %+v", f)
			}
		}
		if forced != "" {
			return res
		}
	}
	return nil
}

func TestServerlessFixture(t *testing.T) {
	dir := filepath.Join("..", "deploy", "serverless", "testdata", "sls3")
	want := []string{
		"lkfix-dev/AbiFnLambdaFunction (lkfix-dev-abiFn) LK130 python/planted/_speedups.cpython-311-x86_64-linux-gnu.so",
		"lkfix-dev/ArmFnLambdaFunction (lkfix-dev-armFn) LK101 lib/libplanted.so",
		"lkfix-dev/NoHandlerFnLambdaFunction (lkfix-dev-noHandlerFn) LK155 ",
	}
	for _, p := range []string{dir, filepath.Join(dir, ".serverless")} {
		res := checkFixture(t, "serverless", p, want)
		notes := strings.Join(res.Notes, "\n")
		if !strings.Contains(notes, "not checked: given only as an ARN") {
			t.Errorf("no note for the ARN layer:\n%s", notes)
		}
	}
}

func TestCDKFixture(t *testing.T) {
	dir := filepath.Join("..", "deploy", "cdk", "testdata", "app")
	want := []string{
		"Fixture/AbiFn LK130 python/planted/_speedups.cpython-311-x86_64-linux-gnu.so",
		"Fixture/ArmFn LK101 lib/libplanted.so",
		"Fixture/NoHandlerFn LK155 ",
	}
	res := checkFixture(t, "cdk", filepath.Join(dir, "cdk.out"), want)
	checkFixture(t, "cdk", filepath.Join(dir, "cdk.out", "assembly-Prod"), want)
	// The shared asset folders are read once: 6 asset folders serve the 6
	// functions' 10 mounts.
	if res.Artifacts != 6 {
		t.Errorf("%d artifacts read, want 6", res.Artifacts)
	}
	if notes := strings.Join(res.Notes, "\n"); !strings.Contains(notes, "Prod/Service/ServiceFn17DECB47: layer arn:aws:lambda:us-east-1:123456789012:layer:shared:3 not checked") {
		t.Errorf("no note for the Stage's ARN layer:\n%s", notes)
	}
}

func TestSAMFixture(t *testing.T) {
	dir := filepath.Join("..", "deploy", "sam", "testdata", "app")
	want := []string{
		"app/AbiFn LK130 python/planted/_speedups.cpython-311-x86_64-linux-gnu.so",
		"app/ArmFn LK101 lib/libplanted.so",
		"app/NoHandlerFn (layerkit-nohandler-dev) LK155 ",
	}
	for _, p := range []string{dir, filepath.Join(dir, ".aws-sam", "build"), filepath.Join(dir, ".aws-sam", "build", "template.yaml")} {
		res := checkFixture(t, "sam", p, want)
		// The layer SAM built for x86_64 (BuildMethod without
		// BuildArchitecture) attached to the arm64 function.
		var arch []string
		for _, f := range res.Findings {
			if f.Rule == lint.RuleLayerBuildArch {
				arch = append(arch, f.Function+" "+filepath.Base(f.Artifact))
			}
		}
		if !slices.Equal(arch, []string{"app/ArmFn DepsLayer"}) {
			t.Errorf("%s: LK108 on %v, want app/ArmFn's DepsLayer", p, arch)
		}
	}
}

func TestTerraformFixture(t *testing.T) {
	dir := filepath.Join("..", "deploy", "terraform", "testdata", "app")
	want := []string{
		"aws_lambda_function.arm (ArmFn) LK101 lib/libplanted.so",
		"aws_lambda_function.nohandler (NoHandlerFn) LK155 ",
		"module.abi.aws_lambda_function.this (AbiFn) LK130 python/planted/_speedups.cpython-311-x86_64-linux-gnu.so",
	}
	for _, p := range []string{dir, filepath.Join(dir, "plan.json")} {
		res := checkFixture(t, "terraform", p, want)
		notes := strings.Join(res.Notes, "\n")
		if !strings.Contains(notes, `aws_lambda_function.unbuilt["main"]`) {
			t.Errorf("%s: no note for the function whose zip is not built yet:\n%s", p, notes)
		}
	}
}
