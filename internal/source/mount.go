package source

import (
	"fmt"
	"maps"
	"path"
	"strings"

	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/layers"
)

// MountSpec is content checked as if mounted at Path on Lambda.
type MountSpec struct {
	// Path is where the function sees the content, such as /mnt/deps.
	Path string
	// Dir is the folder or zip holding it.
	Dir string
}

// ParseMount reads PATH=DIR. PATH must be absolute and outside /var/task
// and /opt, where Lambda lays out the deployment package.
func ParseMount(s string) (MountSpec, error) {
	p, dir, ok := strings.Cut(s, "=")
	if !ok || p == "" || dir == "" {
		return MountSpec{}, fmt.Errorf("%q: want PATH=DIR, such as /mnt/deps=./efs", s)
	}
	if !strings.HasPrefix(p, "/") {
		return MountSpec{}, fmt.Errorf("%q: the mount path must be absolute", s)
	}
	p = path.Clean(p)
	for _, root := range []string{lint.TaskRoot, lint.LayerRoot} {
		if p == "/" || p == root || strings.HasPrefix(p, root+"/") || strings.HasPrefix(root, p+"/") {
			return MountSpec{}, fmt.Errorf("%q: %s is where Lambda lays out the function's code and layers; mount elsewhere, such as /mnt/deps", s, p)
		}
	}
	return MountSpec{Path: p, Dir: dir}, nil
}

// addMounts sets req.Env over each bundle's environment and mounts each of
// req.Mounts in every bundle, each loaded once; a note gives each mount's
// size, which the package's limit does not count.
func addMounts(bundles []*lint.Bundle, req Request, res *Result, load func(string, layers.Kind) (*lint.Artifact, error)) error {
	for _, b := range bundles {
		if req.EphemeralStorageMB > 0 {
			b.Env.EphemeralStorageMB = req.EphemeralStorageMB
		}
		if len(req.Env) > 0 {
			vars := maps.Clone(b.Env.Variables)
			if vars == nil {
				vars = map[string]string{}
			}
			maps.Copy(vars, req.Env)
			b.Env.Variables = vars
		}
	}
	for _, m := range req.Mounts {
		a, err := load(m.Dir, layers.KindFunction)
		if err != nil {
			return fmt.Errorf("mount %s: %w", m.Path, err)
		}
		a.InRequest = false // never uploaded to Lambda
		for _, b := range bundles {
			b.Mounts = append(b.Mounts, lint.Mount{Path: m.Path, Artifact: a})
		}
		res.Notes = append(res.Notes, fmt.Sprintf("%s mounted at %s: %d bytes, not counted against the %d-byte package limit",
			a.Name, m.Path, a.UnzippedBytes, int64(layers.MaxUnzippedBytes)))
	}
	return nil
}
