package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/layers"
)

// SchemaID is where the published schema lives; editors read it through a
// `# yaml-language-server: $schema=` line at the top of layerkit.yaml.
const SchemaID = "https://raw.githubusercontent.com/layerkit/layerkit/main/layerkit.schema.json"

// descriptions say what each key of layerkit.yaml means, by its path in
// the file ("layers.*.targets[].from"). TestSchemaDescribesEveryKey keeps
// it in step with the types.
var descriptions = map[string]string{
	"":                           "layerkit.yaml: how layerkit builds a function's shared main zip and one dependency layer per runtime and architecture.",
	"version":                    "The config format's version; this layerkit reads 1.",
	"out":                        "The output folder, relative to the project (default dist).",
	"main":                       "The function's code: the shared main zip.",
	"main.root":                  "The folder packaged as the zip's root (default .).",
	"main.include":               "Globs (with **) of paths under root to package; empty means everything. A glob without '/' matches a name at any depth.",
	"main.exclude":               "Globs of paths under root to leave out. A glob without '/' matches a name at any depth.",
	"main.slim":                  "Slim the main zip as build --slim does: leave out test suites, docs and examples inside installed packages and bytecode for another Python, and strip debug sections from ELF objects.",
	"main.slim_keep":             "Globs (as exclude's) of files slimming leaves exactly as they are.",
	"main.slim_typing":           "When slimming, also leave out type stubs (py.typed, .pyi): nothing imports them, type checkers do.",
	"layers":                     "The layers, by name (1 to 100 letters, digits, '-' or '_'; it becomes part of the Lambda layer's name).",
	"layers.*":                   "One layer and its targets.",
	"layers.*.targets":           "The runtimes and architectures the layer is built for, each from its own folder.",
	"layers.*.targets[]":         "One runtime × architecture of the layer.",
	"layers.*.targets[].runtime": "A Lambda runtime that takes zip packages and layers.",
	"layers.*.targets[].arch":    "The architecture: x86_64 or arm64 (amd64, x64 and aarch64 are read as those).",
	"layers.*.targets[].from":    "The folder, relative to the project, holding the layer's python/, nodejs/, lib/, ...",
	"layers.*.exclude":           "Globs, relative to each target's folder, to leave out.",
	"layers.*.slim":              "Slim every target of the layer as build --slim does.",
	"layers.*.slim_keep":         "Globs (as exclude's) of files slimming leaves exactly as they are.",
	"layers.*.slim_typing":       "When slimming, also leave out type stubs (py.typed, .pyi).",
	"layers.*.install":           "Where layerkit install takes the layer's dependencies from: one of python or node.",
	"layers.*.install.python":    "A pip requirements file, relative to the project.",
	"layers.*.install.node":      "An npm package.json, relative to the project.",
	"publish":                    "Where layerkit publish puts layers.",
	"publish.regions":            "AWS regions to publish in, such as eu-west-1.",
	"publish.bucket":             "The S3 bucket zips are staged in; {region} is replaced by each region.",
	"publish.prefix":             "The key prefix of staged zips.",
	"publish.description":        "The layer versions' description.",
	"publish.license":            "The layer versions' license (LicenseInfo).",
	"publish.share":              "Principals a layer version is shared with: account:ID, org:o-... or public.",
	"publish.names":              "Lambda layer names by <layer>-<runtime>-<arch>.",
	"publish.names.*":            "A Lambda layer name: 1 to 140 letters, digits, '-' or '_'.",
	"image":                      "How layerkit build --image makes a container image per target; --base and --handler override it.",
	"image.base":                 "The image each target's image is built on: a registry reference (public.ecr.aws/lambda/python:3.12) or oci:DIR, an OCI image layout folder in the project. Empty means AWS's base image for the runtime.",
	"image.handler":              "The image's CMD, the one argument AWS's entrypoint takes (app.handler).",
}

// Schema returns the JSON Schema (draft 2020-12) of layerkit.yaml, made from
// the Go types Load decodes into, so it names exactly the keys Load
// accepts (unknown keys are refused: additionalProperties false). The
// runtime and arch values come from the runtime catalog. Checks that need
// the file system (folders exist and stay inside the project) are
// Load's alone.
func Schema() ([]byte, error) {
	s := schemaOf(reflect.TypeFor[Config](), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaID
	s["title"] = "layerkit.yaml"
	s["required"] = []string{"version"}
	props := s["properties"].(map[string]any)
	props["version"].(map[string]any)["const"] = 1
	layer := props["layers"].(map[string]any)
	layer["propertyNames"] = map[string]any{"pattern": layerName.String()}
	l := layer["additionalProperties"].(map[string]any)
	lp := l["properties"].(map[string]any)
	lp["targets"].(map[string]any)["minItems"] = 1
	install := lp["install"].(map[string]any)
	install["maxProperties"] = 1
	target := lp["targets"].(map[string]any)["items"].(map[string]any)
	target["required"] = []string{"runtime", "arch", "from"}
	tp := target["properties"].(map[string]any)
	var runtimes []string
	for _, r := range layers.Runtimes() {
		if r.Package != "container-only" {
			runtimes = append(runtimes, r.ID)
		}
	}
	slices.Sort(runtimes)
	tp["runtime"].(map[string]any)["enum"] = runtimes
	tp["arch"].(map[string]any)["enum"] = []string{"x86_64", "arm64", "amd64", "x64", "aarch64"}
	pp := props["publish"].(map[string]any)["properties"].(map[string]any)
	pp["regions"].(map[string]any)["items"].(map[string]any)["pattern"] = regionRE.String()
	pp["names"].(map[string]any)["additionalProperties"].(map[string]any)["pattern"] = lambdaLayerName.String()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encoding the schema: %w", err)
	}
	return b.Bytes(), nil
}

// schemaOf describes t, the type at path in the file.
func schemaOf(t reflect.Type, path string) map[string]any {
	s := map[string]any{}
	if d, ok := descriptions[path]; ok {
		s["description"] = d
	}
	switch t.Kind() {
	case reflect.String:
		s["type"] = "string"
	case reflect.Int:
		s["type"] = "integer"
	case reflect.Bool:
		s["type"] = "boolean"
	case reflect.Slice:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem(), path+"[]")
	case reflect.Map:
		s["type"] = "object"
		s["additionalProperties"] = schemaOf(t.Elem(), join(path, "*"))
	case reflect.Struct:
		s["type"] = "object"
		s["additionalProperties"] = false
		props := map[string]any{}
		for f := range t.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" || !f.IsExported() {
				continue
			}
			props[key] = schemaOf(f.Type, join(path, key))
		}
		s["properties"] = props
	default:
		panic(fmt.Sprintf("config: no schema for %s at %q", t, path))
	}
	return s
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// schemaPaths returns every key path schemaOf visits, for the test that
// every one is described.
func schemaPaths(t reflect.Type, path string, out *[]string) {
	*out = append(*out, path)
	switch t.Kind() {
	case reflect.Slice:
		schemaPaths(t.Elem(), path+"[]", out)
	case reflect.Map:
		schemaPaths(t.Elem(), join(path, "*"), out)
	case reflect.Struct:
		for f := range t.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key != "" && key != "-" && f.IsExported() {
				schemaPaths(f.Type, join(path, key), out)
			}
		}
	}
}
