package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"go.yaml.in/yaml/v3"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/layers"
)

// FileNames are the names a config file is looked up under, in order.
var FileNames = []string{"layerkit.yaml", "layerkit.yml"}

// DefaultOut is the output folder, relative to the project folder, when
// neither the config nor the command line names one.
const DefaultOut = "dist"

// ConventionLayer is the name of the layer the folder convention builds.
const ConventionLayer = "deps"

// ConventionDir is the folder whose <runtime>-<arch> subfolders the
// convention reads as layer targets.
const ConventionDir = "layers"

// Config is a loaded, validated layerkit.yaml. Paths are relative to Dir,
// with '/'.
type Config struct {
	Version int              `yaml:"version"`
	Out     string           `yaml:"out"`
	Main    Main             `yaml:"main"`
	Layers  map[string]Layer `yaml:"layers"`
	Publish Publish          `yaml:"publish"`
	Image   Image            `yaml:"image"`

	// Dir is the project folder the config's paths are relative to.
	Dir string `yaml:"-"`
	// File is the config file's path, or "" when the config comes from
	// the folder convention.
	File string `yaml:"-"`
	// Notes are things worth telling the user that are not errors, such
	// as an architecture alias and what it was read as.
	Notes []string `yaml:"-"`
}

// Main describes the function's code: the shared main zip.
type Main struct {
	// Root is the folder packaged as the zip's root (default ".").
	Root string `yaml:"root"`
	// Include lists globs (with **) of paths under Root to package; empty
	// means everything. Exclude lists globs to leave out. A glob without a
	// '/' matches a name at any depth, as in .gitignore.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// Slim removes test suites, docs and examples from the function's
	// code and strips debug sections from its ELF objects, as
	// `build --slim` does (see package slim). SlimKeep lists globs, with
	// the same rules as Exclude, of files slimming leaves exactly as they
	// are; it applies to `build --slim` too.
	Slim     bool     `yaml:"slim"`
	SlimKeep []string `yaml:"slim_keep"`
	// SlimTyping also removes type stubs (py.typed, .pyi) when slimming:
	// nothing imports them, but type checkers run against the package do.
	SlimTyping bool `yaml:"slim_typing"`
}

// Layer is one named layer with its targets.
type Layer struct {
	Targets []TargetSpec `yaml:"targets"`
	// Exclude lists globs, relative to each target's folder, to leave out.
	Exclude []string `yaml:"exclude"`
	// Slim, SlimKeep and SlimTyping slim every target of the layer, as
	// Main's do.
	Slim       bool     `yaml:"slim"`
	SlimKeep   []string `yaml:"slim_keep"`
	SlimTyping bool     `yaml:"slim_typing"`
	// Install says where `layerkit install` takes the layer's
	// dependencies from.
	Install Install `yaml:"install"`
}

// Install names a layer's dependency list: a pip requirements file or an
// npm package.json, relative to the project.
type Install struct {
	Python string `yaml:"python"`
	Node   string `yaml:"node"`
}

// TargetSpec is one runtime × architecture of a layer, built from a folder.
type TargetSpec struct {
	Runtime string `yaml:"runtime"`
	Arch    string `yaml:"arch"`
	From    string `yaml:"from"`
}

// Target returns the spec's target, with the architecture normalised.
func (t TargetSpec) Target() layers.Target {
	a, _ := layers.ParseArch(t.Arch)
	return layers.Target{Runtime: t.Runtime, Arch: a}
}

// LayerNames returns the config's layer names, sorted.
func (c *Config) LayerNames() []string {
	names := make([]string, 0, len(c.Layers))
	for n := range c.Layers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Image is the `image:` section: how `layerkit build --image` makes a
// container image per target. The command line's --base and --handler
// override it.
type Image struct {
	// Base is the image each target's image is built on: a registry
	// reference ("public.ecr.aws/lambda/python:3.12") or "oci:DIR", an OCI
	// image layout folder inside the project. Empty means AWS's base image
	// for the target's runtime.
	Base string `yaml:"base"`
	// Handler is the image's CMD, the one argument AWS's entrypoint
	// script takes ("app.handler").
	Handler string `yaml:"handler"`
}

// OCIPrefix marks an image base that is an OCI image layout folder rather
// than a registry reference.
const OCIPrefix = "oci:"

// maxHandler is the longest handler Lambda accepts (the Handler parameter
// of CreateFunction: at most 128 characters).
const maxHandler = 128

// CheckHandler reports what is wrong with a handler given as an image's
// CMD: it must be one word, as AWS's entrypoint script takes exactly one
// argument, of at most 128 printable characters.
func CheckHandler(h string) error {
	switch {
	case h == "":
		return errors.New("empty")
	case len(h) > maxHandler:
		return fmt.Errorf("%d characters; Lambda takes at most %d", len(h), maxHandler)
	case strings.IndexFunc(h, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return fmt.Errorf("%q holds a space or a control character; a handler is one word such as app.handler", shorten(h))
	}
	return nil
}

// CheckBase reports what is wrong with an image base as written: "oci:"
// followed by nothing, or a registry reference that does not parse.
func CheckBase(b string) error {
	if dir, ok := strings.CutPrefix(b, OCIPrefix); ok {
		if dir == "" {
			return errors.New("oci: names no folder; write oci:DIR for an OCI image layout folder")
		}
		return nil
	}
	if _, err := name.ParseReference(b); err != nil {
		return fmt.Errorf("%q is not an image reference such as public.ecr.aws/lambda/python:3.12, nor oci:DIR: %v", shorten(b), err)
	}
	return nil
}

func (c *Config) checkImage(p *Problems) {
	if c.Image.Base != "" {
		if err := CheckBase(c.Image.Base); err != nil {
			p.add("image.base: %v", err)
		} else if dir, ok := strings.CutPrefix(c.Image.Base, OCIPrefix); ok {
			c.checkDir(p, "image.base", dir)
		}
	}
	if c.Image.Handler != "" {
		if err := CheckHandler(c.Image.Handler); err != nil {
			p.add("image.handler: %v", err)
		}
	}
}

// Publish is the `publish:` section: where `layerkit publish` puts layers.
type Publish struct {
	Regions []string `yaml:"regions"`
	// Bucket stages zips in S3; "{region}" is replaced by each region.
	Bucket      string `yaml:"bucket"`
	Prefix      string `yaml:"prefix"`
	Description string `yaml:"description"`
	License     string `yaml:"license"`
	// Share lists principals: account:ID, org:o-… or public.
	Share []string `yaml:"share"`
	// Names maps "<layer>-<runtime>-<arch>" to a Lambda layer name.
	Names map[string]string `yaml:"names"`
}

var (
	regionRE        = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`)
	lambdaLayerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,140}$`)
)

func (c *Config) checkPublish(p *Problems) {
	for i, r := range c.Publish.Regions {
		if !regionRE.MatchString(r) {
			p.add("publish.regions[%d]: %q is not an AWS region name such as eu-west-1", i, r)
		}
	}
	if len(c.Publish.Description) > 150 {
		p.add("publish.description: %d characters; keep it under 150 (Lambda allows 256, and layerkit adds the content hash)", len(c.Publish.Description))
	}
	for k, v := range c.Publish.Names {
		if !lambdaLayerName.MatchString(v) {
			p.add("publish.names.%s: %q: a Lambda layer name is 1 to 140 letters, digits, '-' or '_'", k, v)
		}
	}
}

// Problems lists everything wrong with a config, each naming the file.
type Problems struct {
	File string
	List []string
}

func (p *Problems) Error() string {
	if len(p.List) == 1 {
		return p.File + ": " + p.List[0]
	}
	return fmt.Sprintf("%s: %d problems:\n  %s", p.File, len(p.List), strings.Join(p.List, "\n  "))
}

func (p *Problems) add(format string, args ...any) {
	p.List = append(p.List, fmt.Sprintf(format, args...))
}

// Find returns the path of the config file in dir, or "" when there is
// none. A name that exists but is not a regular file (a folder, a FIFO, a
// dangling link) is returned too, so that Load reports it rather than
// quietly falling back to the folder convention.
func Find(dir string) string {
	for _, n := range FileNames {
		p := filepath.Join(dir, n)
		if _, err := os.Lstat(p); err == nil {
			return p
		}
	}
	return ""
}

// MaxConfigBytes is the largest config file Load reads; a hand-written
// layerkit.yaml is a few kilobytes.
const MaxConfigBytes = 1 << 20

// readConfigFile reads a config file, refusing anything but a regular file
// before reading it: opening a FIFO would wait for a writer forever.
func readConfigFile(name string) ([]byte, error) {
	refuse := func(fi fs.FileInfo) error {
		if fi.Mode().IsRegular() {
			return nil
		}
		return &Problems{File: name, List: []string{fstree.KindOf(fi.Mode()) + ", not a regular file; a config file must be one"}}
	}
	fi, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	if err := refuse(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	if err := refuse(fi); err != nil { // swapped since the Stat
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	if len(data) > MaxConfigBytes {
		return nil, &Problems{File: name, List: []string{fmt.Sprintf("larger than %d bytes; a config file is a few kilobytes", MaxConfigBytes)}}
	}
	return data, nil
}

// Load reads the config for the project in dir: file when it is set,
// otherwise the config file found in dir, otherwise the folder convention.
// Every problem is reported at once in a *Problems.
func Load(dir, file string) (*Config, error) {
	if file == "" {
		file = Find(dir)
	}
	if file == "" {
		return Convention(dir)
	}
	data, err := readConfigFile(file)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data, file)
	if err != nil {
		return nil, err
	}
	c.Dir = dir
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var fieldNotFound = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)

// Parse decodes a config file's bytes, refusing unknown keys. It does not
// look at the file system, nor fill in defaults; Load does both.
func Parse(data []byte, name string) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		p := &Problems{File: name}
		var te *yaml.TypeError
		switch {
		case errors.As(err, &te):
			for _, e := range te.Errors {
				if m := fieldNotFound.FindStringSubmatch(e); m != nil {
					p.add("line %s: unknown key %q in %s", m[1], m[2], sectionName(m[3]))
				} else if m := typeMismatch.FindStringSubmatch(e); m != nil {
					p.add("line %s: expected %s, found %s", m[1], goTypeWords(m[4]), yamlValueWords(m[2], m[3]))
				} else {
					p.add("%s", strings.TrimPrefix(e, "yaml: "))
				}
			}
		case errors.Is(err, io.EOF):
			p.add("the file is empty; it needs at least `version: 1`")
		default:
			p.add("%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil, p
	}
	p := &Problems{File: name}
	checkVersionType(p, data)
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.add("a second YAML document follows the first (%s); a config file holds one document", strings.TrimPrefix(err.Error(), "yaml: "))
	default:
		p.add("line %d: a second YAML document starts here; a config file holds one document: remove the `---` and what follows it, or merge it into the first", extra.Line)
	}
	if len(p.List) > 0 {
		return nil, p
	}
	c.File = name
	return c, nil
}

// checkVersionType refuses a version that is not a whole number: the
// decoder reads `version: 1.5` into an int as 1.
func checkVersionType(p *Problems, data []byte) {
	var top struct {
		Version yaml.Node `yaml:"version"`
	}
	if yaml.Unmarshal(data, &top) != nil {
		return
	}
	v := &top.Version
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind == yaml.ScalarNode && v.ShortTag() != "!!int" && v.ShortTag() != "!!null" {
		p.add("line %d: version must be the whole number 1, not %s", v.Line, v.Value)
	}
}

// typeMismatch matches the decoder's message for a value of the wrong kind,
// which names Go types: "line 2: cannot unmarshal !!str `x` into []string".
var typeMismatch = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")

// goTypeWords says in the config's terms what a Go type of this package
// expects.
func goTypeWords(t string) string {
	switch {
	case t == "int":
		return "a whole number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a text value"
	case t == "[]string":
		return "a list of text values ([a, b])"
	case t == "[]config.TargetSpec":
		return "a list of targets ([{runtime, arch, from}])"
	case t == "map[string]config.Layer":
		return "a mapping of layer names to layers"
	case t == "map[string]string":
		return "a mapping of names to text values"
	case strings.HasPrefix(t, "config."):
		return "a mapping for " + sectionName(strings.TrimPrefix(t, "config."))
	}
	return t
}

// yamlValueWords describes a YAML value by its tag and, for a scalar, its
// text.
func yamlValueWords(tag, value string) string {
	switch tag {
	case "str":
		return "the text " + strconv.Quote(value)
	case "int", "float":
		return "the number " + value
	case "bool":
		return "the boolean " + value
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "null":
		return "nothing"
	}
	return "!!" + tag + " " + value
}

// sectionName names the part of the file a YAML decoder error's Go type
// stands for, with the keys it takes (read from the struct tags, so the
// list cannot drift from the types).
func sectionName(goType string) string {
	sections := map[string]struct {
		label string
		t     reflect.Type
	}{
		"Config":     {"the top level", reflect.TypeFor[Config]()},
		"Main":       {"main", reflect.TypeFor[Main]()},
		"Layer":      {"a layer", reflect.TypeFor[Layer]()},
		"TargetSpec": {"a target", reflect.TypeFor[TargetSpec]()},
		"Install":    {"a layer's install", reflect.TypeFor[Install]()},
		"Publish":    {"publish", reflect.TypeFor[Publish]()},
		"Image":      {"image", reflect.TypeFor[Image]()},
	}
	sec, ok := sections[goType]
	if !ok {
		return goType
	}
	var keys []string
	for f := range sec.t.Fields() {
		if k, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return sec.label + " (keys: " + strings.Join(keys, ", ") + ")"
}

var layerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

func (c *Config) validate() error {
	p := &Problems{File: c.File}
	if c.Version != 1 {
		if c.Version == 0 {
			p.add("missing `version: 1`")
		} else {
			p.add("version %d is not supported: this layerkit reads version 1", c.Version)
		}
	}
	if c.Out == "" {
		c.Out = DefaultOut
	}
	if c.Main.Root == "" {
		c.Main.Root = "."
	}
	c.checkDir(p, "main.root", c.Main.Root)
	checkGlobs(p, "main.include", c.Main.Include)
	checkGlobs(p, "main.exclude", c.Main.Exclude)
	checkGlobSet(p, "main.include and main.exclude", append(slices.Clone(c.Main.Include), c.Main.Exclude...))
	checkGlobs(p, "main.slim_keep", c.Main.SlimKeep)
	checkGlobSet(p, "main.slim_keep", c.Main.SlimKeep)
	c.checkPublish(p)
	c.checkImage(p)
	for _, name := range c.LayerNames() {
		l := c.Layers[name]
		where := "layers." + name
		if !layerName.MatchString(name) {
			p.add("%s: a layer name is 1 to 100 letters, digits, '-' or '_' (it becomes part of the Lambda layer's name)", where)
		}
		if len(l.Targets) == 0 {
			p.add("%s: no targets; list at least one {runtime, arch, from}", where)
		}
		checkGlobs(p, where+".exclude", l.Exclude)
		checkGlobSet(p, where+".exclude", l.Exclude)
		checkGlobs(p, where+".slim_keep", l.SlimKeep)
		checkGlobSet(p, where+".slim_keep", l.SlimKeep)
		if l.Install.Python != "" && l.Install.Node != "" {
			p.add("%s.install: give python or node, not both", where)
		}
		for _, f := range []string{l.Install.Python, l.Install.Node} {
			if f != "" {
				if fi, err := os.Stat(filepath.Join(c.Dir, filepath.FromSlash(f))); err != nil || !fi.Mode().IsRegular() {
					p.add("%s.install: %s is not a file in the project", where, f)
				}
			}
		}
		seen := map[layers.Target]bool{}
		for i, ts := range l.Targets {
			tw := fmt.Sprintf("%s.targets[%d]", where, i)
			c.checkTarget(p, tw, ts)
			if t := ts.Target(); seen[t] {
				p.add("%s: %s is listed twice", tw, t)
			} else {
				seen[t] = true
			}
		}
	}
	if len(p.List) > 0 {
		return p
	}
	return nil
}

func (c *Config) checkTarget(p *Problems, where string, ts TargetSpec) {
	switch {
	case ts.Runtime == "":
		p.add("%s: missing runtime", where)
	default:
		r, err := layers.ParseRuntime(ts.Runtime)
		if err != nil {
			p.add("%s: %v", where, err)
			break
		}
		if r.Package == "container-only" {
			p.add("%s: %s is offered only as a container image, which takes no layers", where, r.ID)
		}
		a, err := layers.ParseArch(ts.Arch)
		if ts.Arch == "" {
			p.add("%s: missing arch (x86_64 or arm64)", where)
		} else if err != nil {
			p.add("%s: %v", where, err)
		} else if !r.Supports(a) {
			p.add("%s: %s does not run on %s (it runs on %s)", where, r.ID, a, archList(r.Architectures))
		} else if string(a) != ts.Arch {
			c.Notes = append(c.Notes, fmt.Sprintf("%s: arch %q read as %s", where, ts.Arch, a))
		}
	}
	if ts.From == "" {
		p.add("%s: missing from (the folder holding the layer's python/, nodejs/, lib/, …)", where)
	} else {
		c.checkDir(p, where+".from", ts.From)
	}
}

// checkDir checks that rel names a folder inside the project, following
// symlinks only while they stay inside it (see Resolve).
func (c *Config) checkDir(p *Problems, where, rel string) {
	real, err := Resolve(c.Dir, rel)
	var le *LinkError
	switch {
	case errors.As(err, &le):
		p.add("%s: %q: %s", where, rel, linkProblem(le))
		return
	case errors.Is(err, ErrOutsideProject):
		p.add("%s: %q is outside the project folder; paths are relative to %s", where, rel, c.Dir)
		return
	case errors.Is(err, fs.ErrNotExist):
		p.add("%s: folder %q does not exist", where, rel)
		return
	case err != nil:
		p.add("%s: %q: %v", where, rel, err)
		return
	}
	if fi, err := os.Stat(real); err != nil {
		p.add("%s: %q: %v", where, rel, err)
	} else if !fi.IsDir() {
		p.add("%s: %q is not a folder", where, rel)
	}
}

// linkProblem says what is wrong with a link on a configured path, and what
// to do.
func linkProblem(le *LinkError) string {
	if errors.Is(le, ErrOutsideProject) {
		return le.Error() + "; nothing outside the project is packaged: point the link inside the project, or copy the files in"
	}
	return le.Error()
}

func checkGlobs(p *Problems, where string, globs []string) {
	for _, g := range globs {
		if err := CheckGlob(g); err != nil {
			p.add("%s: %v", where, err)
		}
	}
}

// checkGlobSet adds a problem when globs that stay within the limits one
// by one are too many together (CheckGlobSet); a glob refused on its own
// was reported by checkGlobs.
func checkGlobSet(p *Problems, where string, globs []string) {
	for _, g := range globs {
		if CheckGlob(g) != nil {
			return
		}
	}
	if err := CheckGlobSet(globs); err != nil {
		p.add("%s: %v", where, err)
	}
}

// shorten cuts a long value for a message, keeping its start.
func shorten(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

func archList(as []layers.Arch) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// Convention derives the config of a project without a config file: every
// folder layers/<runtime>-<arch>/ is a target of the layer "deps". A folder
// there whose name is not a valid target is an error.
func Convention(dir string) (*Config, error) {
	c := &Config{Version: 1, Out: DefaultOut, Main: Main{Root: "."}, Dir: dir}
	p := &Problems{File: filepath.Join(dir, ConventionDir)}
	layersDir, err := Resolve(dir, ConventionDir)
	var le *LinkError
	switch {
	case errors.As(err, &le):
		p.add("%s", linkProblem(le))
		return nil, p
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, err
	}
	ents, err := os.ReadDir(layersDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var targets []TargetSpec
	for _, e := range ents {
		if e.Type()&fs.ModeSymlink != 0 {
			// A link to a folder inside the project is a target like any
			// folder; one that leads out or dangles is an error, never
			// skipped without a word.
			real, err := Resolve(dir, ConventionDir+"/"+e.Name())
			if errors.As(err, &le) {
				p.add("%s", linkProblem(le))
				continue
			} else if err != nil {
				return nil, err
			}
			if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
				continue
			}
		} else if !e.IsDir() {
			continue
		}
		t, err := layers.ParseTarget(e.Name())
		if err != nil {
			p.add("folder %s/: %v (the convention reads each folder here as <runtime>-<arch>; use a layerkit.yaml for other layouts)", e.Name(), err)
			continue
		}
		if string(t.Arch) != e.Name()[strings.LastIndexByte(e.Name(), '-')+1:] {
			c.Notes = append(c.Notes, fmt.Sprintf("%s/%s: arch read as %s", ConventionDir, e.Name(), t.Arch))
		}
		targets = append(targets, TargetSpec{Runtime: t.Runtime, Arch: string(t.Arch), From: ConventionDir + "/" + e.Name()})
	}
	if len(p.List) > 0 {
		return nil, p
	}
	if len(targets) > 0 {
		c.Layers = map[string]Layer{ConventionLayer: {Targets: targets}}
	}
	return c, nil
}
