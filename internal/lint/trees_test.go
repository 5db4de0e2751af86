package lint

import (
	"context"

	"github.com/layerkit/layerkit/internal/fstree"
)

// loadDirTree loads a folder as the source package does.
func loadDirTree(ctx context.Context, dir string) (*Artifact, error) {
	d, err := fstree.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	return Load(ctx, d, LoadOptions{})
}

// loadZipTree loads a zip as the source package does: its archive goes in
// the request.
func loadZipTree(ctx context.Context, p string) (*Artifact, error) {
	z, err := fstree.OpenZip(p)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	a, err := Load(ctx, z, LoadOptions{})
	if err != nil {
		return nil, err
	}
	a.InRequest = true
	return a, nil
}

// layerMounts mounts each artifact as the next layer at /opt.
func layerMounts(as ...*Artifact) []Mount {
	ms := make([]Mount, len(as))
	for i, a := range as {
		ms[i] = Mount{Path: LayerRoot, Artifact: a}
	}
	return ms
}
