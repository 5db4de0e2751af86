package serverless

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
	"github.com/layerkit/layerkit/layers"
)

const (
	functionType = "AWS::Lambda::Function"
	layerType    = "AWS::Lambda::LayerVersion"
)

// Read reads the output at root: every function it declares, in a stable
// order (sorted by ID).
//
// root is the .serverless folder (a project folder holding one is accepted
// too). Functions come from cloudformation-template-update-stack.json, or,
// when it is absent, from the compiled template serverless-state.json
// keeps. Function.ID is "<stack>/<LogicalID>", the stack being
// provider.stackName or <service>-<stage> from serverless-state.json, else
// <service>-<stage> read from the S3 keys. A layer is a LayerVersion of the
// template (its zip in root), or an ARN; the template's Layers list is taken
// as it is, since the framework has already let a function's own layers
// replace the provider's.
//
// Errors name the file: an unreadable or malformed template or state, $ref
// pointers in the state that form a cycle, chain too long or point at
// nothing, and an S3 key or zip that leads outside root (wrapping
// deploy.ErrOutsideRoot).
func Read(root string, opts deploy.Options) (*deploy.Project, error) {
	root = outputFolder(root)
	proj := &deploy.Project{Framework: deploy.Serverless, Root: root}

	st, err := readState(root, proj)
	if err != nil {
		return nil, err
	}
	t, declPath, err := readTemplate(root, st, proj)
	if err != nil {
		return nil, err
	}

	rd := &reader{
		root: root,
		decl: declPath,
		t:    t,
		r:    &cfn.Resolver{T: t, Params: opts.Params, Pseudo: map[string]string{}},
		proj: proj,
	}
	if err := rd.setStack(st); err != nil {
		return nil, err
	}
	names, err := functionNames(st)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(root, stateFile), err)
	}

	ids := make([]string, 0, len(t.Resources))
	for id, res := range t.Resources {
		if res.Type == functionType {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		fn, err := rd.function(id, t.Resources[id], names)
		if err != nil {
			return nil, err
		}
		proj.Functions = append(proj.Functions, fn)
	}
	slices.SortFunc(proj.Functions, func(a, b *deploy.Function) int { return strings.Compare(a.ID, b.ID) })
	return proj, nil
}

// outputFolder returns root's .serverless folder when root is the project
// around it.
func outputFolder(root string) string {
	if _, err := os.Lstat(filepath.Join(root, templateFile)); err == nil {
		return root
	}
	if _, err := os.Lstat(filepath.Join(root, stateFile)); err == nil {
		return root
	}
	inner := filepath.Join(root, outputDir)
	if fi, err := os.Stat(inner); err == nil && fi.IsDir() {
		return inner
	}
	return root
}

// readState reads serverless-state.json when there is one; nil when it is
// absent or not the framework's shape (said in a note).
func readState(root string, proj *deploy.Project) (*state, error) {
	p := filepath.Join(root, stateFile)
	data, err := readIn(root, stateFile)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if data == nil {
		proj.Notes = append(proj.Notes, stateFile+" is absent: the stack name is taken from the S3 keys")
		return nil, nil
	}
	st, ok, err := parseState(data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if !ok {
		proj.Notes = append(proj.Notes, stateFile+" is not an object with service and package: ignored")
		return nil, nil
	}
	return st, nil
}

// readTemplate reads the update-stack template, or the compiled template
// in the state when the file is absent; it returns the file it read.
func readTemplate(root string, st *state, proj *deploy.Project) (*cfn.Template, string, error) {
	p := filepath.Join(root, templateFile)
	data, err := readIn(root, templateFile)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", p, err)
	}
	if data != nil {
		t, err := cfn.Parse(data)
		if err != nil {
			return nil, "", fmt.Errorf("reading %s: %w", p, err)
		}
		return t, p, nil
	}
	if st == nil {
		return nil, "", fmt.Errorf("%s: neither %s nor %s: %w", root, templateFile, stateFile, deploy.ErrNotRecognised)
	}
	sp := filepath.Join(root, stateFile)
	compiled, err := st.get("service", "provider", "compiledCloudFormationTemplate")
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", sp, err)
	}
	if compiled == nil {
		return nil, "", fmt.Errorf("reading %s: no service.provider.compiledCloudFormationTemplate, and no %s beside it", sp, templateFile)
	}
	budget := maxValues
	full, err := st.resolved(compiled, 0, &budget)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: compiled template: %w", sp, err)
	}
	data, err = json.Marshal(full)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: compiled template: %w", sp, err)
	}
	t, err := cfn.Parse(data)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: compiled template: %w", sp, err)
	}
	proj.Notes = append(proj.Notes, templateFile+" is absent: functions read from the compiled template in "+stateFile)
	return t, sp, nil
}

// functionNames maps logical IDs to the names serverless-state.json gives
// the functions (functions.<key>.name).
func functionNames(st *state) (map[string]string, error) {
	if st == nil {
		return nil, nil
	}
	fns, err := st.get("service", "functions")
	if err != nil {
		return nil, err
	}
	m, _ := fns.(map[string]any)
	names := map[string]string{}
	for key := range m {
		name, err := st.str("service", "functions", key, "name")
		if err != nil {
			return nil, err
		}
		if name != "" {
			names[logicalID(key)+"LambdaFunction"] = name
		}
	}
	return names, nil
}

// logicalID is the framework's normalised name of a function key
// (getNormalizedFunctionName): '-' spelt Dash, '_' spelt Underscore, the
// first letter upper case.
func logicalID(key string) string {
	s := strings.ReplaceAll(strings.ReplaceAll(key, "-", "Dash"), "_", "Underscore")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reader reads one template's functions.
type reader struct {
	root  string
	decl  string // the file the template came from
	t     *cfn.Template
	r     *cfn.Resolver
	stack string
	proj  *deploy.Project
}

// setStack finds the stack name and the pseudo parameters the state knows.
func (rd *reader) setStack(st *state) error {
	if st != nil {
		sp := filepath.Join(rd.root, stateFile)
		custom, err := st.str("service", "provider", "stackName")
		if err != nil {
			return fmt.Errorf("reading %s: %w", sp, err)
		}
		service, err := st.str("service", "service")
		if err != nil {
			return fmt.Errorf("reading %s: %w", sp, err)
		}
		stage, err := st.str("service", "provider", "stage")
		if err != nil {
			return fmt.Errorf("reading %s: %w", sp, err)
		}
		region, err := st.str("service", "provider", "region")
		if err != nil {
			return fmt.Errorf("reading %s: %w", sp, err)
		}
		if region != "" {
			rd.r.Pseudo["AWS::Region"] = region
			rd.r.Pseudo["AWS::Partition"] = partition(region)
		}
		switch {
		case custom != "":
			rd.stack = custom
		case service != "" && stage != "":
			rd.stack = service + "-" + stage
		}
	}
	if rd.stack == "" {
		rd.stack = rd.stackFromKeys()
		if rd.stack == "" {
			rd.proj.Notes = append(rd.proj.Notes, "the stack name is unknown: function IDs are logical IDs alone")
		}
	}
	if rd.stack != "" {
		rd.r.Pseudo["AWS::StackName"] = rd.stack
	}
	return nil
}

// stackFromKeys reads <service>-<stage> from the first S3 key of the
// framework's shape, <prefix>/<service>/<stage>/<timestamp>/<file>.zip.
func (rd *reader) stackFromKeys() string {
	ids := make([]string, 0, len(rd.t.Resources))
	for id := range rd.t.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		res := rd.t.Resources[id]
		var code map[string]any
		switch res.Type {
		case functionType:
			code, _ = res.Properties["Code"].(map[string]any)
		case layerType:
			code, _ = res.Properties["Content"].(map[string]any)
		}
		k, ok := rd.r.String(code["S3Key"])
		if !ok {
			continue
		}
		segs := strings.Split(k, "/")
		if n := len(segs); n >= 5 && segs[n-4] != "" && segs[n-3] != "" {
			return segs[n-4] + "-" + segs[n-3]
		}
	}
	return ""
}

// partition is the AWS partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (rd *reader) function(id string, res cfn.Resource, names map[string]string) (*deploy.Function, error) {
	props := res.Properties
	fn := &deploy.Function{
		ID:          id,
		Template:    rd.decl,
		Arch:        layers.X86_64,
		PackageType: "Zip",
	}
	if rd.stack != "" {
		fn.ID = rd.stack + "/" + id
	}
	note := func(format string, args ...any) { fn.Notes = append(fn.Notes, fmt.Sprintf(format, args...)) }

	if v, has := props["FunctionName"]; has {
		if s, ok := rd.r.String(v); ok {
			fn.Name = s
		} else if s := names[id]; s != "" {
			fn.Name = s
		} else {
			note("FunctionName is not resolved offline")
		}
	} else if s := names[id]; s != "" {
		fn.Name = s
	}
	if v, has := props["PackageType"]; has {
		if s, ok := rd.r.String(v); ok && s == "Image" {
			fn.PackageType = "Image"
		}
	}
	if v, has := props["Runtime"]; has {
		if s, ok := rd.r.String(v); ok {
			fn.Runtime = s
		} else {
			note("Runtime is not resolved offline")
		}
	} else if fn.PackageType == "Zip" {
		note("no Runtime")
	}
	if v, has := props["Handler"]; has {
		if s, ok := rd.r.String(v); ok {
			fn.Handler = s
		} else {
			note("Handler is not resolved offline")
		}
	} else if fn.PackageType == "Zip" {
		note("no Handler")
	}
	if res.Condition != "" {
		note("deployed only when condition %s holds", res.Condition)
	}
	rd.arch(fn, props["Architectures"])
	rd.env(fn, props["Environment"])
	fn.EphemeralStorage = deploy.EphemeralStorageMB(props["EphemeralStorage"], rd.r.String)

	if fn.PackageType == "Image" {
		uri := "an image"
		if code, _ := props["Code"].(map[string]any); code != nil {
			if s, ok := rd.r.String(code["ImageUri"]); ok {
				uri = s
			}
		}
		fn.Code.Missing = "an image function: its code is the image " + uri
		note("image function: its code is the image %s, not in the output", uri)
		return fn, nil
	}

	code, err := rd.code(id, "Code", props["Code"])
	if err != nil {
		return nil, err
	}
	fn.Code = code
	if code.Missing != "" {
		note("code: %s", code.Missing)
	}
	if err := rd.layers(fn, props["Layers"]); err != nil {
		return nil, err
	}
	return fn, nil
}

// arch reads Architectures; x86_64 when absent, as on Lambda.
func (rd *reader) arch(fn *deploy.Function, v any) {
	if v == nil {
		return
	}
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		fn.Notes = append(fn.Notes, "Architectures is not a list of one architecture: x86_64 assumed")
		return
	}
	s, ok := rd.r.String(l[0])
	if !ok {
		fn.Notes = append(fn.Notes, "Architectures is not resolved offline: x86_64 assumed")
		return
	}
	a, err := layers.ParseArch(s)
	if err != nil {
		fn.Notes = append(fn.Notes, fmt.Sprintf("architecture %q is not one Lambda runs: x86_64 assumed", s))
		return
	}
	fn.Arch = a
}

// env reads Environment.Variables: literals into fn.Env, the others noted.
func (rd *reader) env(fn *deploy.Function, v any) {
	e, _ := v.(map[string]any)
	vars, ok := e["Variables"].(map[string]any)
	if !ok {
		if e["Variables"] != nil {
			fn.Notes = append(fn.Notes, "Environment.Variables is not a mapping: not read")
		}
		return
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fn.Env = map[string]string{}
	for _, k := range keys {
		if s, ok := rd.r.String(vars[k]); ok {
			fn.Env[k] = s
		} else {
			fn.Notes = append(fn.Notes, fmt.Sprintf("environment variable %s is not resolved offline", k))
		}
	}
}

// code finds the zip an S3 key names in root, by its file name: the key's
// timestamp folder exists only in S3. prop is "Code" or "Content".
func (rd *reader) code(id, prop string, v any) (deploy.Code, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return deploy.Code{Missing: "no " + prop + " in the template"}, nil
	}
	if _, inline := m["ZipFile"]; inline {
		return deploy.Code{Missing: "inline code (" + prop + ".ZipFile) is not read"}, nil
	}
	raw, has := m["S3Key"]
	if !has {
		return deploy.Code{Missing: "no " + prop + ".S3Key"}, nil
	}
	key, ok := rd.r.String(raw)
	if !ok {
		return deploy.Code{Missing: prop + ".S3Key is not resolved offline"}, nil
	}
	if strings.HasPrefix(key, "/") || strings.ContainsRune(key, '\\') || slices.Contains(strings.Split(key, "/"), "..") {
		return deploy.Code{}, fmt.Errorf("%s: resource %s: %s.S3Key %q: %w %s", rd.decl, id, prop, key, deploy.ErrOutsideRoot, rd.root)
	}
	name := path.Base(key)
	if name == "." {
		return deploy.Code{Missing: fmt.Sprintf("%s.S3Key %q names no file", prop, key)}, nil
	}
	p := filepath.Join(rd.root, name)
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return deploy.Code{Missing: fmt.Sprintf("%s (S3Key %s) is not in the output folder", name, key)}, nil
	}
	confined, err := deploy.Confine(rd.root, rd.root, name, rd.decl)
	if err != nil {
		return deploy.Code{}, fmt.Errorf("resource %s: %w", id, err)
	}
	return deploy.Code{Path: confined}, nil
}

// layers reads the function's Layers list as the template gives it.
func (rd *reader) layers(fn *deploy.Function, v any) error {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		fn.Notes = append(fn.Notes, "Layers is not a list: no layer read")
		return nil
	}
	for i, item := range l {
		if target, ok := rd.r.RefTarget(item); ok {
			res := rd.t.Resources[target]
			if res.Type != layerType {
				fn.Notes = append(fn.Notes, fmt.Sprintf("layer %d refers to %s, a %s, not a layer version", i+1, target, res.Type))
				continue
			}
			ly, err := rd.layer(target, res)
			if err != nil {
				return err
			}
			if ly.Code.Missing != "" {
				fn.Notes = append(fn.Notes, fmt.Sprintf("layer %s: %s", target, ly.Code.Missing))
			}
			fn.Layers = append(fn.Layers, ly)
			continue
		}
		s, ok := rd.r.String(item)
		switch {
		case !ok:
			fn.Notes = append(fn.Notes, fmt.Sprintf("layer %d is not resolved offline: %s", i+1, brief(item)))
		case strings.HasPrefix(s, "arn:"):
			fn.Layers = append(fn.Layers, &deploy.Layer{
				ID:   s,
				ARN:  s,
				Code: deploy.Code{Missing: "given only as an ARN: its content is not in the output"},
			})
		default:
			fn.Notes = append(fn.Notes, fmt.Sprintf("layer %d, %q, is neither a layer of the template nor an ARN", i+1, s))
		}
	}
	return nil
}

// layer reads a LayerVersion resource.
func (rd *reader) layer(id string, res cfn.Resource) (*deploy.Layer, error) {
	ly := &deploy.Layer{ID: id}
	code, err := rd.code(id, "Content", res.Properties["Content"])
	if err != nil {
		return nil, err
	}
	ly.Code = code
	ly.CompatibleRuntimes, _ = rd.r.Strings(res.Properties["CompatibleRuntimes"])
	archs, _ := rd.r.Strings(res.Properties["CompatibleArchitectures"])
	for _, s := range archs {
		if a, err := layers.ParseArch(s); err == nil {
			ly.CompatibleArchitectures = append(ly.CompatibleArchitectures, a)
		}
	}
	return ly, nil
}

// brief renders a template value for a note, cut to a readable length.
func brief(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	const most = 120
	if len(b) > most {
		return string(b[:most]) + "..."
	}
	return string(b)
}
