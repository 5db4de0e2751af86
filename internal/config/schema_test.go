package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

var updateSchema = flag.Bool("update", false, "rewrite the committed layerkit.schema.json")

// committedSchema is the copy editors and README point at.
const committedSchema = "../../layerkit.schema.json"

func TestSchemaCommitted(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		if err := os.WriteFile(committedSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(committedSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from config.Schema(): run go test ./internal/config -run TestSchemaCommitted -update", committedSchema)
	}
}

// Every key of the file is described, and no description names a key
// that is gone.
func TestSchemaDescribesEveryKey(t *testing.T) {
	var paths []string
	schemaPaths(reflect.TypeFor[Config](), "", &paths)
	known := map[string]bool{}
	for _, p := range paths {
		known[p] = true
		if _, ok := descriptions[p]; !ok && !strings.HasSuffix(p, "[]") {
			t.Errorf("key %q has no description", p)
		}
	}
	for p := range descriptions {
		if !known[p] {
			t.Errorf("description of %q, which is no key of Config", p)
		}
	}
}

// The schema accepts what Load accepts and refuses what Parse refuses and
// what validate can see without the file system, checked with Python's
// jsonschema (draft 2020-12) where it is installed.
func TestSchemaAgreesWithLoad(t *testing.T) {
	if err := exec.Command("python3", "-c", "import jsonschema, yaml").Run(); err != nil {
		t.Skip("python3 with jsonschema and yaml is not installed")
	}
	example, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := []struct {
		yaml  string
		valid bool
	}{
		{string(example), true},
		{"version: 1\nout: build\npublish: {regions: [eu-west-1], bucket: \"b-{region}\", share: [public], names: {deps-python3.12-arm64: my_layer}}\nimage: {base: oci:base, handler: app.handler}\n", true},
		{"version: 1\nlayers: {deps: {targets: [{runtime: python3.12, arch: aarch64, from: x}], install: {python: requirements.txt}}}\n", true},
		{"version: 1\nmian: {root: .}\n", false}, // unknown key
		{"version: 2\n", false},                  // unsupported version
		{"out: dist\n", false},                   // no version
		{"version: 1\nlayers: {deps: {targets: [{runtime: python3.12, arch: sparc, from: x}]}}\n", false}, // unknown arch
		{"version: 1\nlayers: {deps: {targets: [{runtime: python3.12, arch: arm64}]}}\n", false},          // no from
		{"version: 1\nlayers: {deps: {targets: []}}\n", false},                                            // no targets
		{"version: 1\nlayers: {\"a b\": {targets: [{runtime: python3.12, arch: arm64, from: x}]}}\n", false},
		{"version: 1\npublish: {regions: [Europe]}\n", false},
		{"version: 1\nmain: {include: src}\n", false}, // a string, not a list
	}
	schema, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/schema.json", schema, 0o644); err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, d := range docs {
		in = append(in, d.yaml)
	}
	js, _ := json.Marshal(in)
	if err := os.WriteFile(dir+"/docs.json", js, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("python3", "-c", `
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for doc in json.load(open(sys.argv[2])):
    print("valid" if v.is_valid(yaml.safe_load(doc)) else "invalid")
`, dir+"/schema.json", dir+"/docs.json").CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	verdicts := strings.Fields(string(out))
	for i, d := range docs {
		if got := verdicts[i] == "valid"; got != d.valid {
			t.Errorf("schema says %s, want valid=%v:\n%s", verdicts[i], d.valid, d.yaml)
		}
		// The loader agrees, as far as it can judge without the folders.
		c, err := Parse([]byte(d.yaml), "layerkit.yaml")
		loaderValid := err == nil
		if err == nil {
			c.Dir = t.TempDir()
			err = c.validate()
			if p, ok := err.(*Problems); ok {
				loaderValid = true
				for _, l := range p.List {
					if !strings.Contains(l, "does not exist") && !strings.Contains(l, "is not a file in the project") {
						loaderValid = false
					}
				}
			}
		}
		if loaderValid != d.valid {
			t.Errorf("Load says valid=%v (%v), want %v:\n%s", loaderValid, err, d.valid, d.yaml)
		}
	}
}
