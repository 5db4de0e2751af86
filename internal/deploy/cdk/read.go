package cdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
	"github.com/layerkit/layerkit/layers"
)

// maxNesting bounds how deep Stages and nested stacks go: CloudFormation
// sets no fixed depth, real apps nest a few levels, and a hostile assembly
// must not recurse without end.
const maxNesting = 32

// maxTemplates and maxTotalBytes bound what one Read parses, so that nested
// stacks naming the same template many times over cannot multiply the work:
// an app's templates number in the tens and weigh a few MB.
const (
	maxTemplates  = 1000
	maxTotalBytes = 4 * deploy.MaxTemplateBytes
)

// Read reads the cloud assembly at root (the top cdk.out folder, as Detect
// returns): every AWS::Lambda::Function of every stack, of every Stage's
// nested assembly and of every nested stack whose template is in the
// assembly, sorted by ID. A function's ID is "<stack>/<LogicalID>", where
// <stack> is the stack artifact's display name (for a Stage's stack,
// "Prod/Service") or else its artifact ID, and a nested stack's functions
// are "<stack>/<NestedStackLogicalID>/<LogicalID>". A layer from the
// assembly has the ID "<stack>/<LogicalID>" of its AWS::Lambda::LayerVersion.
// Code paths are the asset folders or zips, root joined with their path
// and confined to root: one that leaves it is an error wrapping
// deploy.ErrOutsideRoot. Only opts.Params override the top stacks'
// parameters; a nested stack's parameters are what its parent passes.
func Read(root string, opts deploy.Options) (*deploy.Project, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	r := &reader{
		root:    filepath.Clean(root),
		absRoot: abs,
		opts:    opts,
		proj:    &deploy.Project{Framework: deploy.CDK, Root: root},
		seen:    map[string]bool{},
		ids:     map[string]bool{},
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		r.realRoot = real
	}
	if err := r.assembly(r.root, 0); err != nil {
		return nil, err
	}
	sort.Slice(r.proj.Functions, func(i, j int) bool { return r.proj.Functions[i].ID < r.proj.Functions[j].ID })
	return r.proj, nil
}

// reader holds one Read's state.
type reader struct {
	root, absRoot, realRoot string
	opts                    deploy.Options
	proj                    *deploy.Project
	// seen holds the assemblies read, by real path.
	seen map[string]bool
	// ids holds the function IDs given.
	ids map[string]bool
	// templates and bytes count what was parsed, against maxTemplates and
	// maxTotalBytes.
	templates, bytes int
}

// assembly reads the cloud assembly in dir and the Stages it names.
func (r *reader) assembly(dir string, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("%s: cloud assemblies nested more than %d deep", dir, maxNesting)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if r.seen[real] {
		r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("assembly %s is named twice; read once", dir))
		return nil
	}
	r.seen[real] = true
	mpath, missing, err := r.confine(dir, manifestFile, dir)
	if err != nil {
		return err
	}
	if missing {
		if depth == 0 {
			return fmt.Errorf("%s: no %s: %w", dir, manifestFile, deploy.ErrNotRecognised)
		}
		r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("nested assembly %s has no %s", dir, manifestFile))
		return nil
	}
	m, err := readManifest(mpath)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(m.Artifacts))
	for id := range m.Artifacts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	assets := map[string]asset{}
	for _, id := range ids {
		a := m.Artifacts[id]
		if a.Type != typeAssetManifest {
			continue
		}
		var p assetManifestProps
		if err := props(a, &p, mpath, id); err != nil {
			return err
		}
		if p.File == "" {
			return fmt.Errorf("%s: asset manifest %s names no file", mpath, id)
		}
		if err := r.loadAssets(dir, mpath, p.File, assets); err != nil {
			return err
		}
	}
	for _, id := range ids {
		a := m.Artifacts[id]
		if a.Type != typeStack {
			continue
		}
		if err := r.stack(dir, mpath, id, a, assets); err != nil {
			return err
		}
	}
	for _, id := range ids {
		a := m.Artifacts[id]
		if a.Type != typeAssembly {
			continue
		}
		var p assemblyProps
		if err := props(a, &p, mpath, id); err != nil {
			return err
		}
		if p.DirectoryName == "" {
			return fmt.Errorf("%s: nested assembly %s names no directory", mpath, id)
		}
		sub, missing, err := r.confine(dir, p.DirectoryName, mpath)
		if err != nil {
			return err
		}
		if missing {
			r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("nested assembly %s (%s) is not in the assembly", id, p.DirectoryName))
			continue
		}
		if err := r.assembly(sub, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// scope is one template being read: a stack's or a nested stack's.
type scope struct {
	// prefix starts the IDs of the template's functions and layers.
	prefix string
	// file is the template file; dir is the assembly folder its asset
	// paths are relative to.
	file, dir string
	t         *cfn.Template
	res       *cfn.Resolver
	assets    map[string]asset
	// parent is the scope of the stack that nests this one, and passed the
	// values it gives this one's parameters; nil for a top stack.
	parent *scope
	passed map[string]any
	depth  int
}

// stack reads the stack artifact id of the manifest at mpath.
func (r *reader) stack(dir, mpath, id string, a artifact, assets map[string]asset) error {
	var p stackProps
	if err := props(a, &p, mpath, id); err != nil {
		return err
	}
	if p.TemplateFile == "" {
		return fmt.Errorf("%s: stack %s names no templateFile", mpath, id)
	}
	file, missing, err := r.confine(dir, p.TemplateFile, mpath)
	if err != nil {
		return err
	}
	if missing {
		r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("stack %s: template %s is not in the assembly", id, p.TemplateFile))
		return nil
	}
	name := a.DisplayName
	if name == "" {
		name = id
	}
	stackName := p.StackName
	if stackName == "" {
		stackName = id
	}
	pseudo := map[string]string{"AWS::StackName": stackName}
	if env, ok := strings.CutPrefix(a.Environment, "aws://"); ok {
		account, region, _ := strings.Cut(env, "/")
		if account != "" && account != "unknown-account" {
			pseudo["AWS::AccountId"] = account
		}
		if region != "" && region != "unknown-region" {
			pseudo["AWS::Region"] = region
		}
	}
	return r.template(&scope{prefix: name, file: file, dir: dir, assets: assets}, r.opts.Params, pseudo)
}

// readTemplate reads a template or asset manifest, within the bounds of
// one Read.
func (r *reader) readTemplate(p string) ([]byte, error) {
	r.templates++
	if r.templates > maxTemplates {
		return nil, fmt.Errorf("reading %s: more than %d templates in one assembly", p, maxTemplates)
	}
	data, err := deploy.ReadFile(p)
	if err != nil {
		return nil, err
	}
	r.bytes += len(data)
	if r.bytes > maxTotalBytes {
		return nil, fmt.Errorf("reading %s: more than %d bytes of templates in one assembly", p, maxTotalBytes)
	}
	return data, nil
}

// template reads sc.file and the functions and nested stacks it declares.
func (r *reader) template(sc *scope, params, pseudo map[string]string) error {
	data, err := r.readTemplate(sc.file)
	if err != nil {
		return err
	}
	t, err := cfn.Parse(data)
	if err != nil {
		return fmt.Errorf("parsing %s: %w", sc.file, err)
	}
	sc.t = t
	sc.res = &cfn.Resolver{T: t, Params: params, Pseudo: pseudo}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		res := t.Resources[id]
		switch res.Type {
		case "AWS::Lambda::Function":
			f, err := r.function(sc, id, res)
			if err != nil {
				return err
			}
			if r.ids[f.ID] {
				return fmt.Errorf("%s: function %s is declared twice in the assembly", sc.file, f.ID)
			}
			r.ids[f.ID] = true
			r.proj.Functions = append(r.proj.Functions, f)
		case "AWS::CloudFormation::Stack":
			if err := r.nested(sc, id, res, pseudo); err != nil {
				return err
			}
		case "AWS::Serverless::Function":
			r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("%s/%s is a SAM function, not read from a CDK assembly", sc.prefix, id))
		}
	}
	return nil
}

// nested reads the template of the nested stack id of sc, found through
// its aws:asset:path metadata or else the asset its TemplateURL names.
func (r *reader) nested(sc *scope, id string, res cfn.Resource, pseudo map[string]string) error {
	name := sc.prefix + "/" + id
	if sc.depth >= maxNesting {
		return fmt.Errorf("%s: nested stack %s: stacks nested more than %d deep", sc.file, name, maxNesting)
	}
	var file string
	var missing bool
	var err error
	if rel, ok := res.Metadata["aws:asset:path"].(string); ok && rel != "" {
		file, missing, err = r.confine(sc.dir, rel, sc.file)
	} else if a, ok := sc.assets[urlHash(res.Properties["TemplateURL"], 0)]; ok {
		file, missing, err = r.confine(a.dir, a.path, a.decl)
	} else {
		r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("nested stack %s: its template is not in the assembly", name))
		return nil
	}
	if err != nil {
		return err
	}
	if missing {
		r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("nested stack %s: its template is not in the assembly", name))
		return nil
	}
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return err
	}
	for s := sc; s != nil; s = s.parent {
		if sreal, err := filepath.EvalSymlinks(s.file); err == nil && sreal == real {
			return fmt.Errorf("%s: nested stack %s nests %s, a template it is already inside", sc.file, name, file)
		}
	}
	passed, _ := res.Properties["Parameters"].(map[string]any)
	params := map[string]string{}
	for k, v := range passed {
		if s, ok := sc.res.String(v); ok {
			params[k] = s
		}
	}
	// A nested stack has a name of its own, made at deploy time.
	pseudo = maps.Clone(pseudo)
	delete(pseudo, "AWS::StackName")
	child := &scope{prefix: name, file: file, dir: sc.dir, assets: sc.assets, parent: sc, passed: passed, depth: sc.depth + 1}
	return r.template(child, params, pseudo)
}

// urlHash finds the asset hash in a nested stack's TemplateURL: the
// "<hash>.json" its last part ends with.
func urlHash(v any, d int) string {
	if d > maxNesting {
		return ""
	}
	switch v := v.(type) {
	case string:
		if strings.HasSuffix(v, ".json") {
			return strings.TrimSuffix(path.Base(v), ".json")
		}
	case []any:
		for i := len(v) - 1; i >= 0; i-- {
			if h := urlHash(v[i], d+1); h != "" {
				return h
			}
		}
	case map[string]any:
		for _, x := range v {
			if h := urlHash(x, d+1); h != "" {
				return h
			}
		}
	}
	return ""
}

// function reads the AWS::Lambda::Function id of sc.
func (r *reader) function(sc *scope, id string, res cfn.Resource) (*deploy.Function, error) {
	p := res.Properties
	f := &deploy.Function{ID: sc.prefix + "/" + id, Template: sc.file, Arch: layers.X86_64, PackageType: "Zip"}
	note := func(format string, a ...any) { f.Notes = append(f.Notes, fmt.Sprintf(format, a...)) }
	if res.Condition != "" {
		note("created only when condition %s holds", res.Condition)
	}
	if v, ok := p["PackageType"]; ok {
		s, ok := sc.res.String(v)
		switch {
		case !ok:
			note("PackageType is not known offline; Zip assumed")
		case s == "Image":
			f.PackageType = "Image"
		case s != "Zip":
			note("PackageType %q is neither Zip nor Image; Zip assumed", s)
		}
	}
	f.Name = r.scalar(sc, p, "FunctionName", f)
	f.Runtime = r.scalar(sc, p, "Runtime", f)
	f.Handler = r.scalar(sc, p, "Handler", f)
	if f.PackageType == "Zip" && p["Runtime"] == nil {
		note("no Runtime")
	}
	if f.PackageType == "Zip" && p["Handler"] == nil {
		note("no Handler")
	}
	if v, ok := p["Architectures"]; ok {
		arches, unresolved := sc.res.Strings(v)
		switch {
		case len(unresolved) > 0:
			note("Architectures is not known offline; x86_64 assumed")
		case len(arches) != 1:
			note("Architectures lists %d architectures, not one; x86_64 assumed", len(arches))
		default:
			if a, err := layers.ParseArch(arches[0]); err == nil {
				f.Arch = a
			} else {
				note("architecture %q is not one Lambda runs; x86_64 assumed", arches[0])
			}
		}
	}
	f.EphemeralStorage = deploy.EphemeralStorageMB(p["EphemeralStorage"], sc.res.String)
	if env, ok := p["Environment"].(map[string]any); ok {
		vars, _ := env["Variables"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			if s, ok := sc.res.String(vars[k]); ok {
				if f.Env == nil {
					f.Env = map[string]string{}
				}
				f.Env[k] = s
			} else {
				note("environment variable %s is not known offline", k)
			}
		}
	}
	code, _ := p["Code"].(map[string]any)
	switch {
	case f.PackageType == "Image":
		f.Code.Missing = "an image function: its code is a container image"
		note("image function: its image is not checked")
	case code == nil:
		f.Code.Missing = "no Code"
		note("no Code")
	case code["ZipFile"] != nil:
		f.Code.Missing = "inline code (Code.ZipFile)"
		note("inline code (Code.ZipFile) is not checked")
	default:
		c, err := r.code(sc, res.Metadata, code["S3Bucket"], code["S3Key"])
		if err != nil {
			return nil, err
		}
		f.Code = c
		if c.Path == "" {
			note("code %s", c.Missing)
		}
	}
	if v, ok := p["Layers"]; ok {
		l, isList := v.([]any)
		if !isList {
			note("Layers is not a list known offline; no layers read")
		}
		for _, x := range l {
			layer, why, err := r.layer(sc, x, 0)
			if err != nil {
				return nil, err
			}
			if layer == nil {
				note("%s", why)
				continue
			}
			if layer.ARN == "" && layer.Code.Path == "" {
				note("layer %s: content %s", layer.ID, layer.Code.Missing)
			}
			f.Layers = append(f.Layers, layer)
		}
	}
	return f, nil
}

// scalar resolves the string property k of p; a value not known offline
// is a note on f and "".
func (r *reader) scalar(sc *scope, p map[string]any, k string, f *deploy.Function) string {
	v, ok := p[k]
	if !ok {
		return ""
	}
	s, ok := sc.res.String(v)
	if !ok {
		f.Notes = append(f.Notes, fmt.Sprintf("%s is not known offline", k))
	}
	return s
}

// code finds the asset of a function's Code or a layer's Content: the
// resource's aws:asset:path metadata, else the asset manifest's entry for
// the hash S3Key names. Code that is in neither is only in S3: Missing says
// so.
func (r *reader) code(sc *scope, meta map[string]any, bucket, key any) (deploy.Code, error) {
	if rel, ok := meta["aws:asset:path"].(string); ok && rel != "" {
		return r.assetCode(sc.dir, rel, sc.file)
	}
	k, ok := sc.res.String(key)
	if !ok {
		return deploy.Code{Missing: "is in S3 under a key not known offline"}, nil
	}
	hash := strings.TrimSuffix(path.Base(k), path.Ext(k))
	if a, ok := sc.assets[hash]; ok && hash != "" {
		return r.assetCode(a.dir, a.path, a.decl)
	}
	b, ok := sc.res.String(bucket)
	if !ok {
		b = "<bucket>"
	}
	return deploy.Code{Missing: fmt.Sprintf("is only in S3 (s3://%s/%s)", b, k)}, nil
}

// assetCode confines an asset's path and checks that it is a folder or a
// file; an asset that is not there is Missing.
func (r *reader) assetCode(base, rel, decl string) (deploy.Code, error) {
	p, missing, err := r.confine(base, rel, decl)
	if err != nil {
		return deploy.Code{}, err
	}
	if missing {
		return deploy.Code{Missing: fmt.Sprintf("%s is not in the assembly", rel)}, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return deploy.Code{}, err
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return deploy.Code{}, fmt.Errorf("%s: asset %q is neither a folder nor a file", decl, rel)
	}
	return deploy.Code{Path: p}, nil
}

// layer resolves one entry of a function's Layers in sc: a Ref to an
// AWS::Lambda::LayerVersion of the template, a Ref to a parameter the
// parent stack passes a layer to, or an ARN. An entry that resolves to no
// layer gives a nil layer and why, for the function's notes.
func (r *reader) layer(sc *scope, v any, d int) (l *deploy.Layer, why string, err error) {
	if d > maxNesting {
		return nil, fmt.Sprintf("layer %s is not known offline", show(v)), nil
	}
	if id, ok := sc.res.RefTarget(v); ok {
		res := sc.t.Resources[id]
		if res.Type != "AWS::Lambda::LayerVersion" {
			return nil, fmt.Sprintf("layer %s is of type %s, not AWS::Lambda::LayerVersion", id, res.Type), nil
		}
		return r.layerVersion(sc, id, res)
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 && sc.parent != nil {
		if name, ok := m["Ref"].(string); ok {
			if pv, ok := sc.passed[name]; ok {
				return r.layer(sc.parent, pv, d+1)
			}
		}
	}
	if s, ok := sc.res.String(v); ok {
		if !strings.HasPrefix(s, "arn:") {
			return nil, fmt.Sprintf("layer %q is not an ARN", s), nil
		}
		return &deploy.Layer{ID: s, ARN: s}, "", nil
	}
	return nil, fmt.Sprintf("layer %s is not known offline", show(v)), nil
}

// layerVersion reads the AWS::Lambda::LayerVersion id of sc.
func (r *reader) layerVersion(sc *scope, id string, res cfn.Resource) (*deploy.Layer, string, error) {
	l := &deploy.Layer{ID: sc.prefix + "/" + id}
	content, _ := res.Properties["Content"].(map[string]any)
	if content == nil {
		l.Code.Missing = "is not declared (no Content)"
	} else {
		c, err := r.code(sc, res.Metadata, content["S3Bucket"], content["S3Key"])
		if err != nil {
			return nil, "", err
		}
		l.Code = c
	}
	l.CompatibleRuntimes, _ = sc.res.Strings(res.Properties["CompatibleRuntimes"])
	arches, _ := sc.res.Strings(res.Properties["CompatibleArchitectures"])
	for _, s := range arches {
		if a, err := layers.ParseArch(s); err == nil {
			l.CompatibleArchitectures = append(l.CompatibleArchitectures, a)
		}
	}
	return l, "", nil
}

// confine resolves rel, a path the file decl names relative to base, inside
// the root: a path that leaves the root, even one that does not exist, is
// an error wrapping deploy.ErrOutsideRoot; one inside that does not exist
// is missing.
func (r *reader) confine(base, rel, decl string) (p string, missing bool, err error) {
	if rel == "" {
		return "", false, fmt.Errorf("%s: empty path", decl)
	}
	p = filepath.FromSlash(rel)
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false, err
	}
	if !deploy.Within(r.absRoot, abs) && (r.realRoot == "" || !deploy.Within(r.realRoot, abs)) {
		return "", false, fmt.Errorf("%s: path %q is %w %s", decl, rel, deploy.ErrOutsideRoot, r.root)
	}
	q, err := deploy.Confine(r.root, base, rel, decl)
	if errors.Is(err, fs.ErrNotExist) {
		return p, true, nil
	}
	if err != nil {
		return "", false, err
	}
	return q, false, nil
}

// show renders a template value for a note, briefly.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const maxShow = 80
	if len(b) > maxShow {
		return string(b[:maxShow]) + "..."
	}
	return string(b)
}
