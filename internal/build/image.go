package build

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/ociwrite"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// ImageOptions make a build write one container image per target instead
// of zips (`layerkit build --image`).
type ImageOptions struct {
	// Base is the base image, a registry reference or "oci:DIR"; "" means
	// the config's image.base, then AWS's base for the target's runtime.
	Base string
	// Handler is the images' CMD; "" means the config's image.handler. One
	// of the two must be set (ErrNoHandler).
	Handler string
	// Push, when set, is a repository each image is pushed to, tagged
	// <runtime>-<arch>, before the build puts anything in place.
	Push string
	// Registry says how to reach the base's registry and Push's.
	Registry ociwrite.Registry
	// Check, when set, checks each image once written (in its temporary
	// folder, before it is pushed or put in place); an error fails the
	// build and leaves the previous output as it was.
	Check ImageChecker
}

// ImageChecker checks a built image as Lambda will run it. dir is the OCI
// image layout folder; a is the artifact the manifest will record (its
// Path is where the folder will be put).
type ImageChecker interface {
	CheckImage(ctx context.Context, dir string, a layers.Artifact) error
}

// ErrNoHandler reports an image build given no handler: AWS's entrypoint
// needs exactly one CMD element.
var ErrNoHandler = errors.New("an image needs a handler for its CMD: give --handler or image.handler in layerkit.yaml")

// ErrNoImageTargets reports an image build of a project without targets:
// an image is built per runtime and architecture, which the project's
// layers name.
var ErrNoImageTargets = errors.New("no targets to build images for: an image is built per layer target (<runtime>-<arch>)")

// ImagePath returns where the image of target t goes in the output folder.
func ImagePath(t layers.Target) string { return imagesDir + "/" + t.String() }

// stagedImage is an image written into a temporary folder of images/.
type stagedImage struct {
	tmp, name string
	done      bool
}

// imageTargets returns the plan's function artifact (nil when none) and its
// layer artifacts grouped by target, targets in order of first appearance.
func imageTargets(plan *split.Plan) (fn *split.Artifact, targets []layers.Target, byTarget map[layers.Target][]*split.Artifact) {
	byTarget = map[layers.Target][]*split.Artifact{}
	for i := range plan.Artifacts {
		a := &plan.Artifacts[i]
		switch a.Kind {
		case layers.KindFunction:
			fn = a
		case layers.KindLayer:
			if _, ok := byTarget[a.Target]; !ok {
				targets = append(targets, a.Target)
			}
			byTarget[a.Target] = append(byTarget[a.Target], a)
		}
	}
	return fn, targets, byTarget
}

// buildImages writes every target's image into a temporary folder of
// images/, checks and pushes it, and returns the staged folders with their
// artifacts. The caller puts them in place (commitImages) or removes them
// (discardImages).
func buildImages(ctx context.Context, c *config.Config, o *output, plan *split.Plan, opts Options) ([]*stagedImage, []layers.Artifact, error) {
	im := opts.Image
	handler := im.Handler
	if handler == "" {
		handler = c.Image.Handler
	}
	if handler == "" {
		return nil, nil, ErrNoHandler
	}
	if err := config.CheckHandler(handler); err != nil {
		return nil, nil, fmt.Errorf("handler: %w", err)
	}
	fn, targets, byTarget := imageTargets(plan)
	if len(targets) == 0 {
		return nil, nil, fmt.Errorf("%w; the project has none (add layers/<runtime>-<arch>/ or a layer in layerkit.yaml)", ErrNoImageTargets)
	}
	var staged []*stagedImage
	var arts []layers.Artifact
	var code *ociwrite.Layer // the code layer, the same in every image: written once
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return staged, nil, err
		}
		s, a, err := buildImage(ctx, c, o, fn, byTarget[t], t, handler, opts, &code)
		if s != nil {
			staged = append(staged, s)
		}
		if err != nil {
			return staged, nil, fmt.Errorf("building the image for %s: %w", t, err)
		}
		arts = append(arts, a)
	}
	return staged, arts, nil
}

// buildImage writes target t's image into a temporary folder. *shared is
// the code layer an earlier image wrote, reused here, or nil; it is set to
// the one this image wrote.
func buildImage(ctx context.Context, c *config.Config, o *output, fn *split.Artifact, ls []*split.Artifact, t layers.Target, handler string, opts Options, shared **ociwrite.Layer) (*stagedImage, layers.Artifact, error) {
	im := opts.Image
	var art layers.Artifact
	base := im.Base
	if base == "" {
		base = c.Image.Base
	}
	if base == "" {
		r, ok := layers.LookupRuntime(t.Runtime)
		if !ok {
			return nil, art, fmt.Errorf("runtime %s is not in the catalog; give --base", t.Runtime)
		}
		var err error
		if base, err = ociwrite.DefaultBase(r); err != nil {
			return nil, art, err
		}
	}
	if opts.Progress != nil {
		pa := &split.Artifact{Kind: layers.KindImage, Name: t.String(), Target: t, Path: ImagePath(t)}
		opts.Progress(pa, false)
		defer opts.Progress(pa, true)
	}
	baseImg, err := ociwrite.LoadBase(ctx, base, c.Dir, ociwrite.Platform(t.Arch), im.Registry)
	if err != nil {
		return nil, art, err
	}
	family, err := baseImg.MediaType()
	if err != nil {
		return nil, art, err
	}

	s, dir, err := o.imageTemp(t.String())
	if err != nil {
		return nil, art, err
	}
	topts := zipper.TarOptions{Level: opts.Level, Modified: opts.Modified}
	var optParts []zipper.TarPart
	var names []string
	for _, a := range ls {
		p, closeFn, err := tarPart(a)
		if err != nil {
			return s, art, err
		}
		defer closeFn()
		optParts = append(optParts, p)
		names = append(names, a.Name)
	}
	opt, err := ociwrite.WriteLayer(ctx, dir, optParts, "opt", topts, family)
	if err != nil {
		return s, art, layerError("/opt", ls, err)
	}
	var code *ociwrite.Layer
	if *shared != nil {
		if code, err = (*shared).Reuse(dir, family); err != nil {
			return s, art, err
		}
	} else {
		var codeParts []zipper.TarPart
		if fn != nil {
			p, closeFn, err := tarPart(fn)
			if err != nil {
				return s, art, err
			}
			defer closeFn()
			codeParts = append(codeParts, p)
		}
		if code, err = ociwrite.WriteLayer(ctx, dir, codeParts, "var/task", topts, family); err != nil {
			return s, art, layerError("/var/task", []*split.Artifact{fn}, err)
		}
		*shared = code
	}
	img, err := ociwrite.Assemble(baseImg, []ociwrite.Add{
		{Layer: opt, Comment: "/opt: layer " + strings.Join(names, ", ") + " for " + t.String()},
		{Layer: code, Comment: "/var/task: the function's code"},
	}, handler, opts.Modified)
	if err != nil {
		return s, art, err
	}
	local, err := ociwrite.WriteLayout(dir, img)
	if err != nil {
		return s, art, fmt.Errorf("writing the image layout: %w", err)
	}
	known := map[v1.Hash]*ociwrite.Layer{}
	for _, l := range []*ociwrite.Layer{opt, code} {
		d, _ := l.Digest()
		known[d] = l
	}
	sizes, err := ociwrite.Inspect(ctx, local, known)
	if err != nil {
		return s, art, fmt.Errorf("the base image %s: %w", base, err)
	}
	digest, err := local.Digest()
	if err != nil {
		return s, art, err
	}
	art = layers.Artifact{Kind: layers.KindImage, Name: t.String(), Runtime: t.Runtime, Arch: t.Arch, Path: ImagePath(t),
		Digest: digest.String(), ZippedBytes: sizes.Compressed, UnzippedBytes: sizes.Uncompressed,
		Files: opt.Tar.Files + code.Tar.Files}
	if im.Check != nil {
		if err := im.Check.CheckImage(ctx, dir, art); err != nil {
			return s, art, err
		}
	}
	if im.Push != "" {
		if art.Ref, err = ociwrite.Push(ctx, local, im.Push, t.String(), im.Registry); err != nil {
			return s, art, err
		}
	}
	return s, art, nil
}

// tarPart opens an artifact's root for WriteTarGz; the caller calls the
// returned function when done.
func tarPart(a *split.Artifact) (zipper.TarPart, func(), error) {
	root, err := os.OpenRoot(a.Root)
	if err != nil {
		return zipper.TarPart{}, nil, err
	}
	src := zipper.NewRootSource(root)
	return zipper.TarPart{Src: src, Entries: a.Entries}, func() { src.Close(); root.Close() }, nil
}

// layerError names the file on disk an entry error is about, as zip
// errors do.
func layerError(where string, from []*split.Artifact, err error) error {
	var pe *zipper.PathError
	if errors.As(err, &pe) {
		for _, a := range from {
			if a == nil {
				continue
			}
			for _, e := range a.Entries {
				if e.Name == pe.Name {
					return fmt.Errorf("writing %s: %s %s: %w", where, pe.Op, filepath.Join(a.Root, filepath.FromSlash(pe.Name)), pe.Err)
				}
			}
		}
	}
	return fmt.Errorf("writing %s: %w", where, err)
}

// imageTemp creates a temporary folder in images/ for the image of name,
// named as atomicfile.IsTemp recognises so that an interrupted build's is
// swept, and returns it with its path. The path is checked to lead to the
// folder created through the images/ handle, so that nothing is written
// through a link swapped in on the way.
func (o *output) imageTemp(name string) (*stagedImage, string, error) {
	for range 100 {
		tmp := "." + name + ".layerkit-tmp-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
		err := o.images.Mkdir(tmp, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("creating a folder in %s: %w", filepath.Join(o.path, imagesDir), err)
		}
		s := &stagedImage{tmp: tmp, name: name}
		dir := filepath.Join(o.real, imagesDir, tmp)
		want, err1 := o.images.Lstat(tmp)
		got, err2 := os.Lstat(dir)
		if err1 != nil || err2 != nil || !os.SameFile(want, got) {
			return s, "", fmt.Errorf("%s: %w (it changed while being created)", filepath.Join(o.path, imagesDir, tmp), ErrOutputLink)
		}
		return s, dir, nil
	}
	return nil, "", fmt.Errorf("creating a folder in %s: %w", filepath.Join(o.path, imagesDir), os.ErrExist)
}

// commitImages puts every staged image folder in place: a previous folder
// of the same name is moved aside, the new one renamed in, the old one
// removed.
func (o *output) commitImages(staged []*stagedImage) error {
	for _, s := range staged {
		fi, err := o.images.Lstat(s.name)
		switch {
		case err == nil:
			if err := o.realFolderIn(imagesDir, s.name, fi); err != nil {
				return err
			}
			old := "." + s.name + ".layerkit-tmp-" + strconv.FormatUint(uint64(rand.Uint32()), 10) + "0"
			if err := o.images.Rename(s.name, old); err != nil {
				return fmt.Errorf("moving the previous %s aside: %w", imagePathOf(s.name), err)
			}
			if err := o.images.Rename(s.tmp, s.name); err != nil {
				o.images.Rename(old, s.name)
				return fmt.Errorf("putting %s in place: %w", imagePathOf(s.name), err)
			}
			o.images.RemoveAll(old) // swept by the next build if this fails
		case errors.Is(err, os.ErrNotExist):
			if err := o.images.Rename(s.tmp, s.name); err != nil {
				return fmt.Errorf("putting %s in place: %w", imagePathOf(s.name), err)
			}
		default:
			return err
		}
		s.done = true
	}
	return nil
}

// imagePathOf returns the path in the output folder of the image folder
// name.
func imagePathOf(name string) string { return imagesDir + "/" + name }

// discardImages removes the staged folders not put in place.
func (o *output) discardImages(staged []*stagedImage) {
	for _, s := range staged {
		if !s.done {
			o.images.RemoveAll(s.tmp)
		}
	}
}

// realFolderIn checks that fi, from Lstat of name in the output folder's
// sub folder, is a real folder (not a symlink, nor a file).
func (o *output) realFolderIn(sub, name string, fi os.FileInfo) error {
	p := filepath.Join(o.path, sub, name)
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink: %w; a build writes only into real folders, remove the link", p, ErrOutputLink)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder (%s); a build keeps an image layout there", p, fi.Mode().Type())
	}
	return nil
}
