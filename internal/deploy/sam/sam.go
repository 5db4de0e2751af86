package sam

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
	"github.com/layerkit/layerkit/layers"
)

// Resource types read.
const (
	serverlessFunction = "AWS::Serverless::Function"
	lambdaFunction     = "AWS::Lambda::Function"
	serverlessLayer    = "AWS::Serverless::LayerVersion"
	lambdaLayer        = "AWS::Lambda::LayerVersion"
	serverlessApp      = "AWS::Serverless::Application"
	cfnStack           = "AWS::CloudFormation::Stack"
)

// maxNesting bounds how deep nested applications go and maxStacks how many
// templates one Read reads: CloudFormation has no nesting limit, but real
// SAM projects nest a few levels and a few dozen stacks; a hostile template
// could otherwise name itself, or one child many times at every level.
const (
	maxNesting = 10
	maxStacks  = 500
)

// ErrTooManyStacks reports nested applications nested deeper than
// maxNesting or more than maxStacks templates in all.
var ErrTooManyStacks = errors.New("too many nested applications")

// Read reads the output at root: every function it declares, in a stable
// order (sorted by ID).
//
// root is the folder Detect returns (or a template file in it). Function
// IDs are "<stack>/<LogicalId>", where the top stack is named after the
// project folder when root is <project>/.aws-sam/build and after root's own
// folder name otherwise (a build names no stack), and a nested
// application's stack is its parent's followed by its logical ID:
// "app/ArmFn", "app/Child/ChildFn".
//
// Every code path must stay inside root, as written and once symlinks are
// followed (deploy.ErrOutsideRoot otherwise), except the code of what sam
// build does not build: a layer without Metadata.BuildMethod, a function
// with Metadata.SkipBuild or whose code is a .zip. sam build leaves those
// where they are and points the built template at their sources, so they
// may be anywhere in the project folder around .aws-sam/build. A path that
// leaves is an error whether or not it exists; one inside that does not
// exist is not: the function's or layer's Code.Missing says so.
func Read(root string, opts deploy.Options) (*deploy.Project, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	tmpl := root
	if fi.IsDir() {
		if tmpl, err = findTemplate(root); err != nil {
			return nil, err
		}
		if tmpl == "" {
			return nil, fmt.Errorf("%s: no template.yaml, template.yml or template.json: %w", root, deploy.ErrNotRecognised)
		}
	} else {
		root = filepath.Dir(root)
	}
	r := &reader{root: root, project: projectFolder(root)}
	stack, named := filepath.Base(root), "the build folder"
	if r.project != "" {
		stack, named = filepath.Base(r.project), "the folder that holds .aws-sam"
	}
	r.p = &deploy.Project{Framework: deploy.SAM, Root: root}
	r.p.Notes = append(r.p.Notes, fmt.Sprintf("a build names no stack: function IDs start with %s, %s", stack, named))
	if err := r.readStack(tmpl, stack, args{given: opts.Params}, nil, 0); err != nil {
		return nil, err
	}
	slices.SortFunc(r.p.Functions, func(a, b *deploy.Function) int { return strings.Compare(a.ID, b.ID) })
	return r.p, nil
}

// projectFolder returns the folder holding .aws-sam when root is
// <project>/.aws-sam/build, and "" otherwise.
func projectFolder(root string) string {
	parent := filepath.Dir(root)
	if filepath.Base(root) != "build" || filepath.Base(parent) != ".aws-sam" {
		return ""
	}
	return filepath.Dir(parent)
}

type reader struct {
	root string
	// project is the folder around .aws-sam/build, or "".
	project string
	p       *deploy.Project
	// stacks counts the templates read.
	stacks int
}

// args are the parameter values a stack is given: by the user for the top
// stack, by the parent's Parameters for a nested one.
type args struct {
	given map[string]string
	// unknown names parameters given a value not known offline: their
	// defaults do not apply.
	unknown []string
}

// stackReader reads one template.
type stackReader struct {
	*reader
	file  string
	stack string
	t     *cfn.Template
	res   *cfn.Resolver
	built bool
}

// readStack reads the template at file as the stack named stack, and the
// nested applications it names. ancestors are the templates (by real path)
// that led here.
func (r *reader) readStack(file, stack string, a args, ancestors []string, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("%s: nested applications more than %d deep: %w", file, maxNesting, ErrTooManyStacks)
	}
	if r.stacks >= maxStacks {
		return fmt.Errorf("%s: more than %d templates: %w", file, maxStacks, ErrTooManyStacks)
	}
	r.stacks++
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return err
	}
	if slices.Contains(ancestors, real) {
		return fmt.Errorf("%s: a nested application that contains itself: %w", file, ErrTooManyStacks)
	}
	ancestors = append(slices.Clip(ancestors), real)
	data, err := deploy.ReadFile(file)
	if err != nil {
		return err
	}
	t, err := cfn.Parse(data)
	if err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	for _, name := range a.unknown {
		if p, ok := t.Parameters[name]; ok {
			p.Default = nil
			t.Parameters[name] = p
		}
	}
	s := &stackReader{reader: r, file: file, stack: stack, t: t, res: &cfn.Resolver{T: t, Params: a.given}}
	ids := make([]string, 0, len(t.Resources))
	for id, res := range t.Resources {
		ids = append(ids, id)
		if _, ok := res.Metadata["SamResourceId"]; ok {
			s.built = true
		}
	}
	slices.Sort(ids)
	if depth == 0 && !s.built && len(ids) > 0 {
		r.p.Notes = append(r.p.Notes, fmt.Sprintf("%s is not sam build's output (no resource has Metadata.SamResourceId): code is read from the source folders, without what sam build adds", file))
	}
	for _, id := range ids {
		res := t.Resources[id]
		switch res.Type {
		case serverlessFunction, lambdaFunction:
			f, err := s.function(id, res)
			if err != nil {
				return err
			}
			r.p.Functions = append(r.p.Functions, f)
		case serverlessApp, cfnStack:
			if err := s.nested(id, res, ancestors, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// function reads one function resource.
func (s *stackReader) function(id string, res cfn.Resource) (*deploy.Function, error) {
	f := &deploy.Function{ID: s.stack + "/" + id, Template: s.file, Arch: layers.X86_64, PackageType: "Zip"}
	props := res.Properties
	serverless := res.Type == serverlessFunction
	if serverless {
		g, _ := s.t.Globals["Function"].(map[string]any)
		props = mergeGlobals(g, props)
	}
	if res.Condition != "" {
		f.Notes = append(f.Notes, fmt.Sprintf("deployed only when condition %s holds", res.Condition))
	}
	if v, ok := props["FunctionName"]; ok {
		if name, ok := s.res.String(v); ok {
			f.Name = name
		} else {
			f.Notes = append(f.Notes, "FunctionName is not known offline")
		}
	}
	if v, ok := props["PackageType"]; ok {
		if pt, ok := s.res.String(v); ok && (pt == "Zip" || pt == "Image") {
			f.PackageType = pt
		} else if ok {
			f.Notes = append(f.Notes, fmt.Sprintf("PackageType %q is neither Zip nor Image: Zip assumed", pt))
		} else {
			f.Notes = append(f.Notes, "PackageType is not known offline: Zip assumed")
		}
	}
	f.Runtime = s.scalar(f, props, "Runtime")
	f.Handler = s.scalar(f, props, "Handler")
	s.arch(f, props["Architectures"])
	s.env(f, props["Environment"])
	f.EphemeralStorage = deploy.EphemeralStorageMB(props["EphemeralStorage"], s.res.String)
	if f.PackageType == "Image" {
		uriProp := props["ImageUri"]
		if !serverless {
			code, _ := props["Code"].(map[string]any)
			uriProp = code["ImageUri"]
		}
		uri, _ := s.res.String(uriProp)
		if uri == "" {
			uri = "named by no literal ImageUri"
		}
		f.Code.Missing = "an image function: its code is in the image " + uri
		f.Notes = append(f.Notes, "an image function: the image "+uri+" is not read")
	} else {
		code, err := s.functionCode(id, res, serverless, props)
		if err != nil {
			return nil, err
		}
		f.Code = code
	}
	if err := s.layers(f, props["Layers"]); err != nil {
		return nil, err
	}
	return f, nil
}

// scalar resolves a string property, noting when it is not known.
func (s *stackReader) scalar(f *deploy.Function, props map[string]any, key string) string {
	v, ok := props[key]
	if !ok {
		if f.PackageType != "Image" {
			f.Notes = append(f.Notes, key+" is not set")
		}
		return ""
	}
	str, ok := s.res.String(v)
	if !ok {
		f.Notes = append(f.Notes, key+" is not known offline")
	}
	return str
}

func (s *stackReader) arch(f *deploy.Function, v any) {
	if v == nil {
		return
	}
	got, unresolved := s.res.Strings(v)
	if len(unresolved) > 0 || len(got) != 1 {
		f.Notes = append(f.Notes, fmt.Sprintf("Architectures %s is not one architecture known offline: x86_64 assumed", show(v)))
		return
	}
	a, err := layers.ParseArch(got[0])
	if err != nil {
		f.Notes = append(f.Notes, fmt.Sprintf("Architectures %q is not an architecture Lambda runs: x86_64 assumed", got[0]))
		return
	}
	f.Arch = a
}

func (s *stackReader) env(f *deploy.Function, v any) {
	e, _ := v.(map[string]any)
	vars, ok := e["Variables"].(map[string]any)
	if !ok {
		if e["Variables"] != nil {
			f.Notes = append(f.Notes, "Environment.Variables is not known offline")
		}
		return
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val, ok := s.res.String(vars[k])
		if !ok {
			f.Notes = append(f.Notes, fmt.Sprintf("environment variable %s %s is not known offline", k, show(vars[k])))
			continue
		}
		if f.Env == nil {
			f.Env = map[string]string{}
		}
		f.Env[k] = val
	}
}

// functionCode reads CodeUri (AWS::Serverless::Function) or Code
// (AWS::Lambda::Function): after sam build, a folder beside the template,
// unless sam build did not build the function (Metadata.SkipBuild, or code
// that is a .zip already): then its sources in the project folder.
func (s *stackReader) functionCode(id string, res cfn.Resource, serverless bool, props map[string]any) (deploy.Code, error) {
	key := "Code"
	if serverless {
		key = "CodeUri"
		if _, ok := props["InlineCode"]; ok {
			return deploy.Code{Missing: "inline code (InlineCode)"}, nil
		}
	}
	v, ok := props[key]
	if !ok {
		return deploy.Code{Missing: key + " is not set"}, nil
	}
	if m, ok := v.(map[string]any); ok && !serverless {
		if _, ok := m["ZipFile"]; ok {
			return deploy.Code{Missing: "inline code (Code.ZipFile)"}, nil
		}
	}
	within := s.root
	if rel, _ := s.res.String(v); s.project != "" && (truthy(res.Metadata["SkipBuild"]) || strings.HasSuffix(rel, ".zip")) {
		within = s.project
	}
	return s.code(id, key, v, within)
}

// truthy reads a template boolean, which YAML may give as a string.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// code resolves a code property to a path confined to within. It is a
// local path after sam build; an S3 location (s3://bucket/key, or a
// mapping with a bucket and key) or a value not known offline leaves Path
// empty.
func (s *stackReader) code(id, key string, v any, within string) (deploy.Code, error) {
	if kind(v) == mapping {
		return deploy.Code{Missing: fmt.Sprintf("%s %s is in S3, not on disk", key, show(v))}, nil
	}
	rel, ok := s.res.String(v)
	if !ok {
		return deploy.Code{Missing: fmt.Sprintf("%s %s is not known offline", key, show(v))}, nil
	}
	if strings.HasPrefix(rel, "s3://") || strings.HasPrefix(rel, "https://") || strings.HasPrefix(rel, "http://") {
		return deploy.Code{Missing: fmt.Sprintf("%s %s is not on disk", key, rel)}, nil
	}
	decl := fmt.Sprintf("%s: %s %s", s.file, id, key)
	if err := lexicallyWithin(within, filepath.Dir(s.file), rel, decl); err != nil {
		return deploy.Code{}, err
	}
	p, err := deploy.Confine(within, filepath.Dir(s.file), rel, decl)
	if err != nil {
		if errors.Is(err, deploy.ErrOutsideRoot) || !errors.Is(err, fs.ErrNotExist) {
			return deploy.Code{}, err
		}
		return deploy.Code{Missing: fmt.Sprintf("%s %s does not exist", key, rel)}, nil
	}
	return deploy.Code{Path: p}, nil
}

// lexicallyWithin refuses a code path that leaves within as written,
// before it is looked up: deploy.Confine follows symlinks, so it can only
// judge a path that exists, and a path that leaves the output is an error
// whether or not it exists.
func lexicallyWithin(within, base, rel, decl string) error {
	p := filepath.FromSlash(rel)
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	p = filepath.Clean(p)
	if deploy.Within(within, p) {
		return nil
	}
	if real, err := filepath.EvalSymlinks(within); err == nil && deploy.Within(real, p) {
		return nil
	}
	return fmt.Errorf("%s: code path %q is %w %s", decl, rel, deploy.ErrOutsideRoot, within)
}

// layers reads a function's Layers in order: a Ref to a layer in this
// template, or an ARN.
func (s *stackReader) layers(f *deploy.Function, v any) error {
	if v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		f.Notes = append(f.Notes, fmt.Sprintf("Layers %s is not a list known offline", show(v)))
		return nil
	}
	for _, item := range items {
		if id, ok := s.res.RefTarget(item); ok {
			l, err := s.layer(f, id)
			if err != nil {
				return err
			}
			if l != nil {
				f.Layers = append(f.Layers, l)
			}
			continue
		}
		arn, ok := s.res.String(item)
		switch {
		case !ok:
			f.Notes = append(f.Notes, fmt.Sprintf("layer %s is not known offline: not read", show(item)))
		case !strings.HasPrefix(arn, "arn:"):
			f.Notes = append(f.Notes, fmt.Sprintf("layer %q is neither a layer of the template nor an ARN: not read", arn))
		default:
			f.Layers = append(f.Layers, &deploy.Layer{ID: arn, ARN: arn})
		}
	}
	return nil
}

// layer reads the layer resource id for the function f; nil (and a note
// on f) when id is not a layer.
func (s *stackReader) layer(f *deploy.Function, id string) (*deploy.Layer, error) {
	res := s.t.Resources[id]
	props := res.Properties
	key := "Content"
	switch res.Type {
	case serverlessLayer: // Globals.LayerVersion holds only PublishLambdaVersion
		key = "ContentUri"
	case lambdaLayer:
	default:
		f.Notes = append(f.Notes, fmt.Sprintf("layer %s is of type %s, not a layer: not read", id, res.Type))
		return nil, nil
	}
	l := &deploy.Layer{ID: s.stack + "/" + id}
	within := s.root
	if method, ok := res.Metadata["BuildMethod"]; ok && method != nil {
		l.BuildArch = layers.X86_64 // sam build's default, whatever the functions use
		if v, ok := res.Metadata["BuildArchitecture"]; ok {
			a, err := parseArch(s.res, v)
			if err != nil {
				f.Notes = append(f.Notes, fmt.Sprintf("layer %s: Metadata.BuildArchitecture %s is not an architecture known offline", id, show(v)))
				l.BuildArch = ""
			} else {
				l.BuildArch = a
			}
		}
	} else if s.project != "" {
		within = s.project // left in the project's sources by sam build
	}
	if v, ok := props[key]; ok {
		code, err := s.code(id, key, v, within)
		if err != nil {
			return nil, err
		}
		l.Code = code
	} else {
		l.Code.Missing = key + " is not set"
	}
	if v, ok := props["CompatibleRuntimes"]; ok {
		got, unresolved := s.res.Strings(v)
		l.CompatibleRuntimes = got
		if len(unresolved) > 0 {
			f.Notes = append(f.Notes, fmt.Sprintf("layer %s: CompatibleRuntimes %s is not all known offline", id, show(unresolved)))
		}
	}
	if v, ok := props["CompatibleArchitectures"]; ok {
		got, unresolved := s.res.Strings(v)
		for _, a := range got {
			if arch, err := layers.ParseArch(a); err == nil {
				l.CompatibleArchitectures = append(l.CompatibleArchitectures, arch)
			} else {
				unresolved = append(unresolved, a)
			}
		}
		if len(unresolved) > 0 {
			f.Notes = append(f.Notes, fmt.Sprintf("layer %s: CompatibleArchitectures %s is not all known offline", id, show(unresolved)))
		}
	}
	return l, nil
}

func parseArch(r *cfn.Resolver, v any) (layers.Arch, error) {
	s, ok := r.String(v)
	if !ok {
		return "", errors.New("not known offline")
	}
	return layers.ParseArch(s)
}

// nested reads a nested application or stack whose template sam build
// built beside this one (Location or TemplateURL, a local path).
func (s *stackReader) nested(id string, res cfn.Resource, ancestors []string, depth int) error {
	key := "Location"
	if res.Type == cfnStack {
		key = "TemplateURL"
	}
	v, ok := res.Properties[key]
	if !ok {
		s.p.Notes = append(s.p.Notes, fmt.Sprintf("%s/%s: %s is not set: not read", s.stack, id, key))
		return nil
	}
	if kind(v) == mapping {
		s.p.Notes = append(s.p.Notes, fmt.Sprintf("%s/%s: a Serverless Application Repository application, not read", s.stack, id))
		return nil
	}
	code, err := s.code(id, key, v, s.root)
	if err != nil {
		return err
	}
	if code.Path == "" {
		s.p.Notes = append(s.p.Notes, fmt.Sprintf("%s/%s: %s: not read", s.stack, id, code.Missing))
		return nil
	}
	return s.readStack(code.Path, s.stack+"/"+id, s.childArgs(res), ancestors, depth+1)
}

// childParams resolves the Parameters a nested application passes. A value
// not known offline hides the child's default: the child's references to
// it are then not known either.
func (s *stackReader) childArgs(res cfn.Resource) args {
	given, _ := res.Properties["Parameters"].(map[string]any)
	a := args{given: make(map[string]string, len(given))}
	for k, v := range given {
		if str, ok := s.res.String(v); ok {
			a.given[k] = str
		} else {
			a.unknown = append(a.unknown, k)
		}
	}
	return a
}

// show renders a template value for a note.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 120
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
