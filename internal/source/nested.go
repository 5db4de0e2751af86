package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// Where serverless-python-requirements' zip: true puts its requirements:
// RequirementsZip at the root of the function's code, unpacked by
// unzip_requirements into RequirementsRoot at start and put on sys.path.
const (
	RequirementsZip  = ".requirements.zip"
	RequirementsRoot = "/tmp/sls-py-req"
)

// nestedRequirements mounts the .requirements.zip inside each bundle's
// code at RequirementsRoot, on Python's path, so that every file rule
// reads it and its unzipped size is compared with the function's
// ephemeral storage. A zip nested in a zip is copied to a temporary file
// to be read, and removed once loaded.
func nestedRequirements(ctx context.Context, bundles []*lint.Bundle, res *Result, load func(string, layers.Kind) (*lint.Artifact, error)) error {
	done := map[*lint.Artifact]*lint.Artifact{}
	for _, b := range bundles {
		for _, m := range b.Mounts {
			if m.Path != lint.TaskRoot || !hasRequirementsZip(m.Artifact) {
				continue
			}
			req, ok := done[m.Artifact]
			if !ok {
				var err error
				if req, err = loadNested(ctx, m.Artifact, res, load); err != nil {
					return fmt.Errorf("%s: %s: %w", m.Artifact.Name, RequirementsZip, err)
				}
				done[m.Artifact] = req
				res.Notes = append(res.Notes, fmt.Sprintf("%s unpacks to %s at start: %d bytes of ephemeral storage, read with every rule",
					req.Name, RequirementsRoot, req.UnzippedBytes))
			}
			b.Mounts = append(b.Mounts, lint.Mount{Path: RequirementsRoot, Artifact: req, PythonPath: true})
			break
		}
	}
	return nil
}

func hasRequirementsZip(a *lint.Artifact) bool {
	for _, f := range a.Files {
		if f.Path == RequirementsZip && f.Type == zipper.TypeFile {
			return true
		}
	}
	return false
}

// loadNested loads the code's .requirements.zip: in place from a folder,
// through a temporary copy from a zip.
func loadNested(ctx context.Context, code *lint.Artifact, res *Result, load func(string, layers.Kind) (*lint.Artifact, error)) (*lint.Artifact, error) {
	src := res.origins[code]
	fi, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(src, RequirementsZip)
	if fi.IsDir() {
		a, err := load(name, layers.KindFunction)
		if err != nil {
			return nil, err
		}
		a.InRequest = false
		return a, nil
	}
	z, err := fstree.OpenZip(src)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	in, err := z.Open(RequirementsZip)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	tmp, err := os.CreateTemp("", "layerkit-requirements-*.zip")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copying it out of %s: %w", src, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a, err := load(tmp.Name(), layers.KindFunction)
	if err != nil {
		return nil, err
	}
	delete(res.origins, a) // the copy is gone once loaded
	a.Name, a.InRequest = name, false
	return a, nil
}
