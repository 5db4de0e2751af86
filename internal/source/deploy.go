package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cdk"
	"github.com/layerkit/layerkit/internal/deploy/sam"
	"github.com/layerkit/layerkit/internal/deploy/serverless"
	"github.com/layerkit/layerkit/internal/deploy/terraform"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/layers"
)

// framework is one deployment framework's reader.
type framework struct {
	name   string
	detect func(p string) (root string, ok bool, err error)
	read   func(root string, opts deploy.Options) (*deploy.Project, error)
}

// frameworks are the readers tried on every path, in this order.
var frameworks = []framework{
	{deploy.SAM, sam.Detect, sam.Read},
	{deploy.CDK, cdk.Detect, cdk.Read},
	{deploy.Serverless, serverless.Detect, serverless.Read},
	{deploy.Terraform, terraform.Detect, terraform.Read},
}

// findFramework returns the framework whose output p holds and the root
// its reader takes; nil when p holds none. With force, only that
// framework is tried, and p must hold its output. Two frameworks' outputs
// in one folder are an error: the user says which.
func findFramework(p, force string) (*framework, string, error) {
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
		return nil, "", nil // refused by type where it is loaded, never opened
	}
	var found []*framework
	var roots []string
	for i := range frameworks {
		fw := &frameworks[i]
		if force != "" && fw.name != force {
			continue
		}
		root, ok, err := fw.detect(p)
		if err != nil {
			return nil, "", err
		}
		if ok {
			found = append(found, fw)
			roots = append(roots, root)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], roots[0], nil
	case len(found) > 1:
		names := make([]string, len(found))
		for i, fw := range found {
			names[i] = fw.name
		}
		return nil, "", fmt.Errorf("%s holds the output of %s: choose one with --framework", p, strings.Join(names, " and "))
	case force != "":
		return nil, "", fmt.Errorf("%s: %w (--framework %s)", p, deploy.ErrNotRecognised, force)
	}
	return nil, "", nil
}

// functionLabel names a function in findings and notes: its ID, and its
// FunctionName when the template sets one.
func functionLabel(fn *deploy.Function) string {
	if fn.Name != "" && !strings.HasSuffix(fn.ID, "/"+fn.Name) {
		return fn.ID + " (" + fn.Name + ")"
	}
	return fn.ID
}

// projectBundles makes one bundle per function of the project that
// matches the requested target: its code at /var/task and its layers at
// /opt, in order, each folder or zip loaded once however many functions
// share it. What cannot be checked (image functions, layers given only as
// ARNs, code not built yet) goes into res.Notes.
func projectBundles(ctx context.Context, proj *deploy.Project, req Request, res *Result, load func(string, layers.Kind) (*lint.Artifact, error)) ([]*lint.Bundle, error) {
	cwd, _ := os.Getwd()
	// shown names a file as findings show it: relative to the working
	// folder when it is inside it (GitHub's annotations and SARIF want
	// paths relative to the repository), as the reader gave it otherwise.
	shown := func(p string) string {
		p = filepath.Clean(p)
		if cwd == "" || !filepath.IsAbs(p) {
			return p
		}
		if r, err := filepath.Rel(cwd, p); err == nil && deploy.Within(cwd, p) {
			return r
		}
		return p
	}
	for _, n := range proj.Notes {
		res.Notes = append(res.Notes, shown(proj.Root)+": "+n)
	}
	var bundles []*lint.Bundle
	matched := 0
	for _, fn := range proj.Functions {
		if (req.Runtime != "" && fn.Runtime != req.Runtime) || (req.Arch != "" && fn.Arch != req.Arch) {
			continue
		}
		matched++
		label := functionLabel(fn)
		note := func(format string, args ...any) {
			res.Notes = append(res.Notes, label+": "+fmt.Sprintf(format, args...))
		}
		for _, n := range fn.Notes {
			note("%s", n)
		}
		if fn.PackageType == "Image" {
			if len(fn.Notes) == 0 { // readers name the image when they know it
				note("image function: its image is not checked here")
			}
			continue
		}
		b := &lint.Bundle{Name: shown(fn.Template), Function: label, Target: layers.Target{Runtime: fn.Runtime, Arch: fn.Arch},
			Env: lint.Environment{Variables: fn.Env, Handler: fn.Handler, PackageType: fn.PackageType, EphemeralStorageMB: fn.EphemeralStorage}}
		switch {
		case fn.Code.Path != "":
			a, err := load(shown(fn.Code.Path), layers.KindFunction)
			if err != nil {
				return nil, fmt.Errorf("%s: code of %s: %w", fn.Template, label, err)
			}
			a.InRequest = a.InRequest && fn.Code.InRequest
			b.AddFunction(a)
		}
		for _, l := range fn.Layers {
			switch {
			case l.Code.Path != "":
				a, err := load(shown(l.Code.Path), layers.KindLayer)
				if err != nil {
					return nil, fmt.Errorf("%s: layer %s of %s: %w", fn.Template, l.ID, label, err)
				}
				a.InRequest = a.InRequest && l.Code.InRequest
				b.Mounts = append(b.Mounts, lint.Mount{Path: lint.LayerRoot, Artifact: a, BuildArch: l.BuildArch})
			case l.ARN != "" && req.FetchLayer != nil:
				p, err := req.FetchLayer(ctx, l.ARN)
				if err != nil {
					return nil, fmt.Errorf("fetching layer %s of %s: %w", l.ARN, label, err)
				}
				a, err := load(p, layers.KindLayer)
				if err != nil {
					return nil, fmt.Errorf("layer %s of %s (fetched to %s): %w", l.ARN, label, p, err)
				}
				a.Name, a.InRequest = l.ARN, false
				b.AddLayer(a)
			case l.ARN != "":
				b.Unchecked = append(b.Unchecked, l.ARN)
				note("layer %s not checked: given only as an ARN (--fetch-layers downloads it)", l.ARN)
			default:
				b.Unchecked = append(b.Unchecked, l.ID)
				note("layer %s not checked: %s", l.ID, l.Code.Missing)
			}
		}
		if len(b.Mounts) == 0 {
			if fn.Code.Missing == "" { // readers say why the code is missing
				note("nothing on disk to check")
			}
			continue
		}
		bundles = append(bundles, b)
	}
	if len(proj.Functions) > 0 && matched == 0 {
		return nil, fmt.Errorf("%s: %w %s/%s among its %d functions", proj.Root, ErrNoTargets, req.Runtime, req.Arch, len(proj.Functions))
	}
	if len(proj.Functions) == 0 {
		res.Notes = append(res.Notes, proj.Root+": no Lambda functions declared")
	}
	return bundles, nil
}
