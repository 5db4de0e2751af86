package build

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// LockFile is the file, in the output folder, that a build holds locked
// (flock) while it runs, so that two builds never write one output folder
// at once. It stays there between builds.
const LockFile = ".layerkit.lock"

// layersDir is the output folder's subfolder for layer zips.
const layersDir = "layers"

// imagesDir is the output folder's subfolder for image layouts, one folder
// per target.
const imagesDir = "images"

// ErrOutputLink reports a symlink where the build would create, rename or
// remove something inside its output folder: the build writes only into
// real folders, so that nothing lands outside the output folder.
var ErrOutputLink = errors.New("a symlink inside the output folder")

// ErrBusy reports an output folder another build is writing. The second
// build fails at once rather than wait: what it would write replaces what
// the first just wrote, so two builds into one folder are a mistake to
// show, and a CI job never hangs behind another.
var ErrBusy = errors.New("another layerkit build is writing this output folder")

// output is an open output folder: handles on it and on its subfolders,
// every one a real folder (not a symlink) inside it, and the lock.
type output struct {
	path   string // as shown to the user
	real   string // with no symlinks in it
	root   *os.Root
	layers *os.Root // nil when there is no layers/ folder and none is needed
	cache  *os.Root // nil likewise
	images *os.Root // nil likewise
	lock   *os.File
}

// openOutput creates the folder at real (a path with no symlinks in it)
// when missing, locks it, and opens its layers/, cache and images/
// subfolders, creating those when want says so. It refuses a subfolder
// that is a symlink, naming it.
func openOutput(real, shown string, wantLayers, wantCache, wantImages bool) (_ *output, err error) {
	if err := os.MkdirAll(real, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output folder: %w", err)
	}
	o := &output{path: shown, real: real}
	defer func() {
		if err != nil {
			o.Close()
		}
	}()
	if o.root, err = os.OpenRoot(real); err != nil {
		return nil, fmt.Errorf("opening the output folder: %w", err)
	}
	if err := o.takeLock(); err != nil {
		return nil, err
	}
	if o.layers, err = o.subfolder(layersDir, wantLayers); err != nil {
		return nil, err
	}
	if o.cache, err = o.subfolder(CacheDir, wantCache); err != nil {
		return nil, err
	}
	if o.images, err = o.subfolder(imagesDir, wantImages); err != nil {
		return nil, err
	}
	return o, nil
}

// Close releases the lock and the folder handles.
func (o *output) Close() {
	for _, r := range []*os.Root{o.layers, o.cache, o.images, o.root} {
		if r != nil {
			r.Close()
		}
	}
	if o.lock != nil {
		o.lock.Close() // closing the only descriptor releases the flock
	}
}

func (o *output) takeLock() error {
	p := filepath.Join(o.path, LockFile)
	if fi, err := o.root.Lstat(LockFile); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := o.root.Readlink(LockFile)
		return fmt.Errorf("%s is a symlink (to %s): %w; remove the link", p, target, ErrOutputLink)
	}
	f, err := o.root.OpenFile(LockFile, os.O_RDWR|os.O_CREATE|nonblock, 0o644)
	if err != nil {
		return fmt.Errorf("opening the lock file %s: %w", p, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("opening the lock file %s: %w", p, zipper.ErrNotRegular)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrBusy) {
			return fmt.Errorf("output folder %s: %w (its lock %s is held); wait for it to end, or build into another folder with --out", o.path, ErrBusy, p)
		}
		return fmt.Errorf("locking %s: %w", p, err)
	}
	o.lock = f
	return nil
}

// subfolder opens the folder name directly in the output folder, creating
// it when create is set, or returns nil when it is missing and not wanted.
// A symlink there is an error naming it, whatever it points to: the link
// is checked with Lstat and the folder opened is checked to be the one
// Lstat saw, so a link swapped in between is caught too.
func (o *output) subfolder(name string, create bool) (*os.Root, error) {
	p := filepath.Join(o.path, name)
	fi, err := o.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, nil
		}
		if err := o.root.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("creating %s: %w", p, err)
		}
		fi, err = o.root.Lstat(name)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", p, err)
	}
	if err := o.realFolder(name, fi); err != nil {
		return nil, err
	}
	r, err := o.root.OpenRoot(name)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", p, err)
	}
	if got, err := r.Stat("."); err != nil || !os.SameFile(got, fi) {
		r.Close()
		return nil, fmt.Errorf("opening %s: %w (it changed while being opened)", p, ErrOutputLink)
	}
	return r, nil
}

// sweep removes the temporary files an interrupted build left in the
// output folder, its layers/ and its cache: files named as
// atomicfile.IsTemp recognises (or IsLegacyTemp, for earlier versions'
// zips and manifest; any earlier temporary name in the cache folder, which
// is layerkit's own), and regular (a folder or link of that name is left
// alone). Holding the lock, no other build is writing them. It
// returns their paths.
func (o *output) sweep() ([]string, error) {
	var removed []string
	for _, r := range []struct {
		dir  *os.Root
		name string
	}{{o.root, ""}, {o.layers, layersDir}, {o.cache, CacheDir}} {
		if r.dir == nil {
			continue
		}
		d, err := r.dir.Open(".")
		if err != nil {
			return removed, fmt.Errorf("listing %s: %w", filepath.Join(o.path, r.name), err)
		}
		names, err := d.Readdirnames(-1)
		d.Close()
		if err != nil {
			return removed, fmt.Errorf("listing %s: %w", filepath.Join(o.path, r.name), err)
		}
		for _, n := range names {
			if !atomicfile.IsTemp(n) && !(atomicfile.IsLegacyTemp(n) || r.dir == o.cache && atomicfile.IsLegacyTempAny(n)) {
				continue
			}
			if fi, err := r.dir.Lstat(n); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			p := filepath.Join(o.path, r.name, n)
			if err := r.dir.Remove(n); err != nil {
				return removed, fmt.Errorf("removing %s, left by an interrupted build: %w", p, err)
			}
			removed = append(removed, p)
		}
	}
	return o.sweepImages(removed)
}

// sweepImages removes the temporary image folders an interrupted build
// left in images/: real folders named as atomicfile.IsTemp recognises.
func (o *output) sweepImages(removed []string) ([]string, error) {
	if o.images == nil {
		return removed, nil
	}
	d, err := o.images.Open(".")
	if err != nil {
		return removed, fmt.Errorf("listing %s: %w", filepath.Join(o.path, imagesDir), err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return removed, fmt.Errorf("listing %s: %w", filepath.Join(o.path, imagesDir), err)
	}
	for _, n := range names {
		if !atomicfile.IsTemp(n) {
			continue
		}
		if fi, err := o.images.Lstat(n); err != nil || !fi.IsDir() {
			continue
		}
		p := filepath.Join(o.path, imagesDir, n)
		if err := o.images.RemoveAll(n); err != nil {
			return removed, fmt.Errorf("removing %s, left by an interrupted build: %w", p, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}

// realFolder checks that fi, from Lstat of name in the output folder, is a
// folder and not a symlink.
func (o *output) realFolder(name string, fi fs.FileInfo) error {
	p := filepath.Join(o.path, name)
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := o.root.Readlink(name)
		return fmt.Errorf("%s is a symlink (to %s): %w; a build writes only into real folders, remove the link", p, target, ErrOutputLink)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder (%s); a build keeps %s there", p, fi.Mode().Type(), name+"/")
	}
	return nil
}

// dirOf returns the folder handle and the file name for an artifact's path
// in the output folder ("main.zip" or "layers/<name>.zip"), or ok false
// for any other path.
func (o *output) dirOf(p string) (dir *os.Root, name string, ok bool) {
	d, name := path.Split(p)
	if name == "" || strings.HasPrefix(name, ".") || path.Ext(name) != ".zip" {
		return nil, "", false
	}
	switch d {
	case "":
		return o.root, name, true
	case layersDir + "/":
		return o.layers, name, o.layers != nil
	}
	return nil, "", false
}

// maxManifest bounds the previous manifest read back: a manifest record is
// under 400 bytes, so this is room for far more artifacts than a build
// makes.
const maxManifest = 16 << 20

// readManifest returns the manifest a previous build left, or nil when
// there is none or it cannot be read (then no zip is removed as stale).
func (o *output) readManifest() *layers.Manifest {
	f, err := zipper.OpenRegular(o.root, layers.ManifestFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	m, err := layers.ReadManifest(io.LimitReader(f, maxManifest))
	if err != nil {
		return nil
	}
	return m
}

func (o *output) writeManifest(m *layers.Manifest) error {
	var b strings.Builder
	if err := layers.WriteManifest(&b, m); err != nil {
		return err
	}
	if err := atomicfile.WriteFileIn(o.root, layers.ManifestFile, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(o.path, layers.ManifestFile), err)
	}
	return nil
}

// dropManifest removes the manifest after a failure that left it no longer
// matching the zips, and returns err saying so.
func (o *output) dropManifest(err error) error {
	if rerr := o.root.Remove(layers.ManifestFile); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return fmt.Errorf("%w; the previous manifest no longer matches the zips, and removing it failed too: %v", err, rerr)
	}
	return fmt.Errorf("%w; the previous manifest no longer matched the zips and was removed: build again", err)
}

// removeStale deletes the zips the previous manifest lists and this build
// no longer makes, with their cache indexes. Only what looks like a zip a
// build wrote is touched: a path the build itself would use (main.zip or
// layers/<name>.zip), a regular file (not a link), of the size the
// manifest recorded; anything else the old manifest names is left alone.
func (o *output) removeStale(prev, cur *layers.Manifest) []string {
	if prev == nil {
		return nil
	}
	keep := map[string]bool{}
	for _, a := range cur.Artifacts {
		keep[a.Path] = true
	}
	var removed []string
	for _, a := range prev.Artifacts {
		if keep[a.Path] {
			continue
		}
		if a.Kind == layers.KindImage {
			if o.removeImage(a.Path) {
				removed = append(removed, a.Path)
			}
			continue
		}
		dir, name, ok := o.dirOf(a.Path)
		if !ok {
			continue
		}
		fi, err := dir.Lstat(name)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != a.ZippedBytes {
			continue
		}
		if dir.Remove(name) == nil {
			removed = append(removed, a.Path)
			if o.cache != nil {
				zipper.ForgetCache(o.cache, name)
			}
		}
	}
	return removed
}

// imageName returns the folder name in images/ of an image artifact's path
// ("images/<runtime>-<arch>"), or ok false for any other path.
func imageName(p string) (name string, ok bool) {
	d, name := path.Split(p)
	return name, d == imagesDir+"/" && name != "" && !strings.HasPrefix(name, ".")
}

// removeImage removes an image layout folder an earlier build recorded at
// p, when it is one: a real folder in images/ holding an oci-layout file.
func (o *output) removeImage(p string) bool {
	name, ok := imageName(p)
	if !ok || o.images == nil {
		return false
	}
	if fi, err := o.images.Lstat(name); err != nil || !fi.IsDir() {
		return false
	}
	if fi, err := o.images.Lstat(name + "/oci-layout"); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return o.images.RemoveAll(name) == nil
}
