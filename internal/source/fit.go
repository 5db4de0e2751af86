package source

import (
	"fmt"
	"io"
	"os"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/lint"
)

// opener opens files of the artifacts a run loaded, from the folder or zip
// each came from, each zip opened once; close releases them.
type opener struct {
	origins map[*lint.Artifact]string
	trees   map[string]fstree.Tree
	zips    []*fstree.Zip
}

func newOpener(origins map[*lint.Artifact]string) *opener {
	return &opener{origins: origins, trees: map[string]fstree.Tree{}}
}

// open implements lint.FitOptions.Open.
func (o *opener) open(a *lint.Artifact, p string) (io.ReadCloser, error) {
	t, err := o.tree(a)
	if err != nil {
		return nil, err
	}
	return t.Open(p)
}

func (o *opener) tree(a *lint.Artifact) (fstree.Tree, error) {
	src, ok := o.origins[a]
	if !ok {
		return nil, fmt.Errorf("%s: not loaded from a folder or zip", a.Name)
	}
	if t, ok := o.trees[src]; ok {
		return t, nil
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	var t fstree.Tree
	if fi.IsDir() {
		t, err = fstree.OpenDir(src)
	} else {
		var z *fstree.Zip
		z, err = fstree.OpenZip(src)
		if z != nil {
			o.zips = append(o.zips, z)
			t = z
		}
	}
	if err != nil {
		return nil, err
	}
	o.trees[src] = t
	return t, nil
}

func (o *opener) close() {
	for _, z := range o.zips {
		z.Close() // read-only: nothing to lose
	}
	o.zips, o.trees = nil, map[string]fstree.Tree{}
}
