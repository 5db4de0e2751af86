package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/layerkit/layerkit/layers"
)

// Request says what one check run looks at.
type Request struct {
	// Paths are folders, zips, build output folders or their
	// manifest.json; each is checked on its own (a manifest as one bundle
	// per target).
	Paths []string
	// Function and Layers check one function as deployed: its code plus
	// its layers, in order. Used instead of Paths.
	Function string
	Layers   []string
	// Runtime and Arch set the target; empty parts are inferred. With a
	// manifest they select which of its targets to check.
	Runtime string
	Arch    layers.Arch
}

// Result is what a check run found.
type Result struct {
	Findings []Finding
	// Notes say what was assumed, for the user.
	Notes []string
	// Artifacts and Files count what was read, each artifact once.
	Artifacts, Files int
	// Targets lists the targets checked.
	Targets []string
}

// ErrNoTargets reports a manifest none of whose targets match the
// requested runtime and arch.
var ErrNoTargets = errors.New("no target matches")

// Run loads what the request names and checks it. Each zip or folder is
// read once, however many targets share it. Errors are for unreadable input
// only: a missing path, a file that is not a zip, a manifest that does not
// parse.
func Run(ctx context.Context, req Request) (*Result, error) {
	res := &Result{}
	loaded := map[string]*Artifact{}
	loadOne := func(p string, kind layers.Kind) (*Artifact, error) {
		if a, ok := loaded[p]; ok {
			return a, nil
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		var a *Artifact
		if fi.IsDir() {
			a, err = LoadDir(ctx, p)
		} else {
			a, err = LoadZip(ctx, p)
		}
		if err != nil {
			return nil, err
		}
		a.Kind = kind
		if kind == "" {
			a.Kind = GuessKind(a)
		}
		loaded[p] = a
		res.Artifacts++
		res.Files += len(a.Files)
		return a, nil
	}
	var bundles []*Bundle
	if req.Function != "" || len(req.Layers) > 0 {
		b := &Bundle{Name: req.Function, Target: layers.Target{Runtime: req.Runtime, Arch: req.Arch}}
		if req.Function != "" {
			a, err := loadOne(req.Function, layers.KindFunction)
			if err != nil {
				return nil, err
			}
			b.Function = a
		}
		for _, l := range req.Layers {
			a, err := loadOne(l, layers.KindLayer)
			if err != nil {
				return nil, err
			}
			b.Layers = append(b.Layers, a)
		}
		if b.Name == "" {
			b.Name = req.Layers[0]
		}
		bundles = append(bundles, b)
	}
	for _, p := range req.Paths {
		if m, dir, ok, err := findManifest(p); err != nil {
			return nil, err
		} else if ok {
			bs, err := manifestBundles(m, dir, p, req, loadOne)
			if err != nil {
				return nil, err
			}
			bundles = append(bundles, bs...)
			continue
		}
		a, err := loadOne(p, "")
		if err != nil {
			return nil, err
		}
		b := &Bundle{Name: p, Target: layers.Target{Runtime: req.Runtime, Arch: req.Arch}}
		if a.Kind == layers.KindLayer {
			b.Layers = []*Artifact{a}
		} else {
			b.Function = a
		}
		bundles = append(bundles, b)
	}
	seenTarget := map[string]bool{}
	for _, b := range bundles {
		for _, n := range Infer(b) {
			res.Notes = append(res.Notes, b.Name+": "+n)
		}
		res.Findings = append(res.Findings, Check(b)...)
		if t := targetLabel(b.Target); t != "" && !seenTarget[t] {
			seenTarget[t] = true
			res.Targets = append(res.Targets, t)
		}
	}
	Sort(res.Findings)
	return res, nil
}

func targetLabel(t layers.Target) string {
	switch {
	case t.Runtime != "" && t.Arch != "":
		return t.String()
	case t.Runtime != "":
		return t.Runtime
	}
	return string(t.Arch)
}

// findManifest reports whether p is a build's manifest.json, or a folder
// holding one, and reads it.
func findManifest(p string) (*layers.Manifest, string, bool, error) {
	mp := p
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		mp = filepath.Join(p, layers.ManifestFile)
	} else if !strings.HasSuffix(p, ".json") {
		return nil, "", false, nil
	}
	f, err := os.Open(mp)
	if errors.Is(err, fs.ErrNotExist) && mp != p {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, err
	}
	defer f.Close()
	m, err := layers.ReadManifest(f)
	if err != nil {
		return nil, "", false, fmt.Errorf("%s: %w", mp, err)
	}
	return m, filepath.Dir(mp), true, nil
}

// manifestBundles makes one bundle per target of a build: the function's
// code plus that target's layers, as a function deployed for it sees them.
func manifestBundles(m *layers.Manifest, dir, name string, req Request, load func(string, layers.Kind) (*Artifact, error)) ([]*Bundle, error) {
	var bundles []*Bundle
	fn, hasFn := m.Function()
	for _, t := range m.Targets() {
		if (req.Runtime != "" && t.Runtime != req.Runtime) || (req.Arch != "" && t.Arch != req.Arch) {
			continue
		}
		b := &Bundle{Name: name, Target: t}
		if hasFn {
			a, err := load(filepath.Join(dir, filepath.FromSlash(fn.Path)), layers.KindFunction)
			if err != nil {
				return nil, err
			}
			b.Function = a
		}
		for _, l := range m.Layers(t) {
			a, err := load(filepath.Join(dir, filepath.FromSlash(l.Path)), layers.KindLayer)
			if err != nil {
				return nil, err
			}
			b.Layers = append(b.Layers, a)
		}
		bundles = append(bundles, b)
	}
	if len(m.Targets()) == 0 && hasFn {
		a, err := load(filepath.Join(dir, filepath.FromSlash(fn.Path)), layers.KindFunction)
		if err != nil {
			return nil, err
		}
		bundles = append(bundles, &Bundle{Name: name, Target: layers.Target{Runtime: req.Runtime, Arch: req.Arch}, Function: a})
	}
	if len(bundles) == 0 {
		return nil, fmt.Errorf("%s: %w %s/%s (it has %v)", name, ErrNoTargets, req.Runtime, req.Arch, m.Targets())
	}
	return bundles, nil
}
