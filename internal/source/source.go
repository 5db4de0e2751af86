package source

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/image"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// Request says what one check run looks at.
type Request struct {
	// Paths are folders, zips, build output folders or their
	// manifest.json; each is checked on its own (a build as one bundle per
	// target).
	Paths []string
	// Function and Layers check one function as deployed: its code plus
	// its layers, in order. Used instead of Paths.
	Function string
	Layers   []string
	// Runtime and Arch set the target; empty parts are inferred. With a
	// build they select which of its targets to check.
	Runtime string
	Arch    layers.Arch
	// Verify reads every zip entry whole, checking its size and CRC-32.
	Verify bool
	// Framework forces the deployment framework whose output Paths hold
	// (deploy.SAM, ...); empty recognises it by content.
	Framework string
	// Params overrides template parameters (SAM, CDK, Serverless).
	Params map[string]string
	// FetchLayer, when set, downloads a layer version given only as an
	// ARN and returns the path of its zip; without it such layers are
	// listed as not checked.
	FetchLayer func(ctx context.Context, arn string) (string, error)
	// Images are container images to check, each a registry reference or
	// a path; a path in Paths that holds an image layout or an image
	// tarball is checked as an image too.
	Images []string
	// Keychain gives registry credentials for Images; nil uses the Docker
	// config's.
	Keychain authn.Keychain
	// Mounts are folders or zips checked, in every bundle, as if mounted
	// at an absolute path outside /var/task and /opt (an EFS file system
	// at /mnt/deps): every file rule applies, and their size is not
	// counted against the package's limit.
	Mounts []MountSpec
	// Env sets the function's environment variables in every bundle, over
	// those a deployment framework's template sets.
	Env map[string]string
	// EphemeralStorageMB sets every function's /tmp size in MB, over a
	// template's EphemeralStorage; 0 keeps the template's, or Lambda's
	// default of 512.
	EphemeralStorageMB int
	// Progress, when set, is called after each artifact is read and each
	// bundle checked, from the goroutine that called Run.
	Progress func(Progress)
}

// Progress is how far a check run is: artifacts read (with their files and
// the bytes of those files), and bundles checked of those found.
type Progress struct {
	Artifacts, Files int
	Bytes            int64
	Checked, Bundles int
}

// Result is what a check run found.
type Result struct {
	Findings []lint.Finding
	// Notes say what was assumed, for the user.
	Notes []string
	// Artifacts and Files count what was read, each artifact once; Files
	// counts files and symlinks, not folders.
	Artifacts, Files int
	// Targets lists the targets checked.
	Targets []string
	// Fits holds a fit report for each bundle whose package is over
	// Lambda's unzipped limit or within a tenth of it (lint.NearLimit), in
	// the order the bundles were checked.
	Fits []*lint.Fit

	// origins maps each loaded artifact to the folder or zip it came from.
	origins map[*lint.Artifact]string
}

// ErrNoTargets reports a build none of whose targets match the requested
// runtime and arch.
var ErrNoTargets = errors.New("no target matches")

// ErrNotManifest reports a .json file named for checking that is not a
// layerkit build manifest.
var ErrNotManifest = errors.New("not a layerkit build manifest")

// Bundles loads what the request names and returns the bundles to check,
// each artifact read once however many bundles share it. Errors are for
// unreadable input only: a missing path, a file that is neither a folder nor
// a zip, a build manifest that does not parse or names files outside its
// folder.
func Bundles(ctx context.Context, req Request) ([]*lint.Bundle, *Result, error) {
	res := &Result{origins: map[*lint.Artifact]string{}}
	var bytes int64
	report := func() {
		if req.Progress != nil {
			req.Progress(Progress{Artifacts: res.Artifacts, Files: res.Files, Bytes: bytes})
		}
	}
	loaded := map[string]*lint.Artifact{}
	load := func(p string, kind layers.Kind) (*lint.Artifact, error) {
		if a, ok := loaded[p]; ok {
			return a, nil
		}
		a, err := Load(ctx, p, lint.LoadOptions{Verify: req.Verify})
		if err != nil {
			return nil, err
		}
		a.Kind = kind
		if kind == "" {
			a.Kind = lint.GuessKind(a)
		}
		loaded[p] = a
		res.origins[a] = p
		res.Artifacts++
		for _, f := range a.Files {
			if f.Type != zipper.TypeDir { // as build counts them
				res.Files++
				bytes += f.Size
			}
		}
		report()
		return a, nil
	}
	target := layers.Target{Runtime: req.Runtime, Arch: req.Arch}
	var bundles []*lint.Bundle
	if req.Function != "" || len(req.Layers) > 0 {
		b := &lint.Bundle{Name: req.Function, Target: target}
		if req.Function != "" {
			a, err := load(req.Function, layers.KindFunction)
			if err != nil {
				return nil, nil, err
			}
			b.AddFunction(a)
		}
		for _, l := range req.Layers {
			a, err := load(l, layers.KindLayer)
			if err != nil {
				return nil, nil, err
			}
			b.AddLayer(a)
		}
		if b.Name == "" {
			b.Name = req.Layers[0]
		}
		bundles = append(bundles, b)
	}
	addImage := func(ref string, req Request) error {
		b, err := LoadImage(ctx, ref, req)
		if err != nil {
			return err
		}
		res.Artifacts++
		for _, f := range b.Mounts[0].Artifact.Files {
			if f.Type != zipper.TypeDir {
				res.Files++
			}
		}
		bundles = append(bundles, b)
		return nil
	}
	for _, ref := range req.Images {
		if err := addImage(ref, req); err != nil {
			return nil, nil, err
		}
	}
	for _, p := range req.Paths {
		if _, ok := image.Detect(p); ok && req.Framework == "" {
			if err := addImage(p, req); err != nil {
				return nil, nil, err
			}
			continue
		}
		fw, root, err := findFramework(p, req.Framework)
		if err != nil {
			return nil, nil, err
		}
		if fw != nil {
			proj, err := fw.read(root, deploy.Options{Params: req.Params})
			if err != nil {
				return nil, nil, err
			}
			bs, err := projectBundles(ctx, proj, req, res, load)
			if err != nil {
				return nil, nil, err
			}
			bundles = append(bundles, bs...)
			continue
		}
		m, dir, err := findManifest(p)
		if err != nil {
			return nil, nil, err
		}
		if m != nil {
			// A build's images are checked as images, each for its
			// target; its zips as functions deployed for theirs.
			images := m.Images()
			matched := 0
			for _, im := range images {
				if (req.Runtime != "" && im.Runtime != req.Runtime) || (req.Arch != "" && im.Arch != req.Arch) {
					continue
				}
				ip, err := artifactPath(dir, filepath.Join(dir, layers.ManifestFile), im.Path)
				if err != nil {
					return nil, nil, err
				}
				r := req
				r.Runtime, r.Arch = im.Runtime, im.Arch
				if err := addImage(ip, r); err != nil {
					return nil, nil, err
				}
				matched++
			}
			if len(images) == len(m.Artifacts) {
				if matched == 0 {
					return nil, nil, fmt.Errorf("%s: %w %s/%s among its images", p, ErrNoTargets, req.Runtime, req.Arch)
				}
				continue
			}
			bs, err := manifestBundles(m, dir, p, target, req.Verify, load)
			if err != nil {
				return nil, nil, err
			}
			bundles = append(bundles, bs...)
			continue
		}
		a, err := load(p, "")
		if err != nil {
			return nil, nil, err
		}
		b := &lint.Bundle{Name: p, Target: target}
		if a.Kind == layers.KindLayer {
			b.AddLayer(a)
		} else {
			b.AddFunction(a)
		}
		bundles = append(bundles, b)
	}
	if err := nestedRequirements(ctx, bundles, res, load); err != nil {
		return nil, nil, err
	}
	if err := addMounts(bundles, req, res, load); err != nil {
		return nil, nil, err
	}
	return bundles, res, nil
}

// Run loads what the request names and checks every bundle. It returns
// ctx's error when ctx is done before the check finished: an interrupted
// check has no report.
func Run(ctx context.Context, req Request) (*Result, error) {
	bundles, res, err := Bundles(ctx, req)
	if err != nil {
		return nil, err
	}
	seenTarget := map[string]bool{}
	open := newOpener(res.origins)
	defer open.close()
	var bytes int64
	counted := map[*lint.Artifact]bool{} // a layer shared by bundles once
	for _, b := range bundles {
		for _, m := range b.Mounts {
			if a := m.Artifact; a != nil && !counted[a] {
				counted[a] = true
				for _, f := range a.Files {
					bytes += f.Size
				}
			}
		}
	}
	for i, b := range bundles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, n := range lint.Infer(b) {
			res.Notes = append(res.Notes, cmp.Or(b.Function, b.Name)+": "+n)
		}
		res.Findings = append(res.Findings, lint.Check(b)...)
		fit, err := lint.FitOf(b, lint.FitOptions{Open: open.open})
		if err != nil {
			return nil, fmt.Errorf("fit report of %s: %w", cmp.Or(b.Function, b.Name), err)
		}
		if fit != nil {
			res.Fits = append(res.Fits, fit)
		}
		if t := lint.TargetLabel(b.Target); t != "" && !seenTarget[t] {
			seenTarget[t] = true
			res.Targets = append(res.Targets, t)
		}
		if req.Progress != nil {
			req.Progress(Progress{Artifacts: res.Artifacts, Files: res.Files, Bytes: bytes, Checked: i + 1, Bundles: len(bundles)})
		}
	}
	lint.Sort(res.Findings)
	return res, nil
}

// Load reads the folder or zip at p as one artifact. A symlink naming the
// folder or zip itself is followed, as the user pointed at it. Anything else
// (a named pipe, a device) is refused before it is opened. A zip's archive
// goes to Lambda in the request, as far as anything here knows, so the
// direct-upload limit applies to it.
func Load(ctx context.Context, p string, opts lint.LoadOptions) (*lint.Artifact, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		d, err := fstree.OpenDir(p)
		if err != nil {
			return nil, err
		}
		return lint.Load(ctx, d, opts)
	case fi.Mode().IsRegular():
		z, err := fstree.OpenZip(p)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		a, err := lint.Load(ctx, z, opts)
		if err != nil {
			return nil, err
		}
		a.InRequest = true
		return a, nil
	}
	return nil, fmt.Errorf("%s: neither a folder nor a zip: %w", p, fstree.ErrNotRegular)
}

// maxManifestBytes bounds a build manifest read whole: a build of every
// runtime and architecture in the catalog writes a few kilobytes.
const maxManifestBytes = 16 << 20

// findManifest reads the build manifest p names: p itself when it is a
// .json file, or p/manifest.json when p is a folder holding a layerkit
// manifest. A folder's manifest.json that is something else (a web app's,
// a CDK cloud assembly's) is not a build manifest: the folder is checked as
// a folder. A .json file named outright must be one.
func findManifest(p string) (*layers.Manifest, string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, "", err
	}
	mp := p
	switch {
	case fi.IsDir():
		mp = filepath.Join(p, layers.ManifestFile)
	case !strings.HasSuffix(p, ".json"):
		return nil, "", nil
	}
	data, err := readRegular(mp, maxManifestBytes)
	if errors.Is(err, fs.ErrNotExist) && mp != p {
		return nil, "", nil
	}
	if err != nil {
		if mp != p && errors.Is(err, fstree.ErrNotRegular) {
			return nil, "", nil // not a manifest layerkit wrote
		}
		return nil, "", err
	}
	if !isBuildManifest(data) {
		if mp != p {
			return nil, "", nil
		}
		return nil, "", fmt.Errorf("%s: %w (it has no numeric \"version\" and \"artifacts\" list)", mp, ErrNotManifest)
	}
	m, err := layers.ReadManifest(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", mp, err)
	}
	return m, filepath.Dir(mp), nil
}

// isBuildManifest reports whether data has the shape of a layerkit build
// manifest: a JSON object whose "version" is a number and whose
// "artifacts" is a list (null when a build made none). Other tools' manifest.json files differ in one or
// the other (CDK: a string version and an artifacts object; web apps:
// neither).
func isBuildManifest(data []byte) bool {
	var probe struct {
		Version   json.RawMessage `json:"version"`
		Artifacts json.RawMessage `json:"artifacts"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	v, a := bytes.TrimSpace(probe.Version), bytes.TrimSpace(probe.Artifacts)
	return len(v) > 0 && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9')) && (bytes.HasPrefix(a, []byte("[")) || bytes.Equal(a, []byte("null")))
}

// readRegular reads a regular file of at most limit bytes, refusing
// anything else before it is opened so that a named pipe cannot block.
func readRegular(p string, limit int64) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", p, fstree.ErrNotRegular)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes, more than any build manifest", p, limit)
	}
	return data, nil
}

// artifactPath resolves an artifact's path from a manifest in dir. The path
// must be relative and stay inside dir, also once symlinks are followed: a
// manifest is input like any other and may be hostile.
func artifactPath(dir, manifest, rel string) (string, error) {
	if !fs.ValidPath(rel) || strings.Contains(rel, "\\") {
		return "", fmt.Errorf("%s: artifact path %q leaves the build folder", manifest, rel)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	if r, err := filepath.Rel(realDir, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: artifact %q resolves to %s, outside the build folder", manifest, rel, real)
	}
	return p, nil
}

// changedSince says how the zip at p differs from what the build manifest
// recorded of it: its size always (a stat), its SHA-256 with verify (a
// read of the whole file); "" when it matches, or for a folder.
func changedSince(p string, a *lint.Artifact, rec layers.Artifact, verify bool) (string, error) {
	if a.ArchiveBytes == 0 || rec.ZippedBytes == 0 && rec.SHA256 == "" {
		return "", nil
	}
	if rec.ZippedBytes != 0 && a.ArchiveBytes != rec.ZippedBytes {
		return fmt.Sprintf("the manifest records %d bytes, the file has %d", rec.ZippedBytes, a.ArchiveBytes), nil
	}
	if !verify || rec.SHA256 == "" {
		return "", nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", p, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != rec.SHA256 {
		return fmt.Sprintf("the manifest records SHA-256 %s, the file has %s", rec.SHA256, sum), nil
	}
	return "", nil
}

// manifestBundles makes one bundle per target of a build: the function's
// code plus that target's layers, as a function deployed for it sees them.
// Every target must be one the runtime catalog knows.
func manifestBundles(m *layers.Manifest, dir, name string, want layers.Target, verify bool, load func(string, layers.Kind) (*lint.Artifact, error)) ([]*lint.Bundle, error) {
	manifest := filepath.Join(dir, layers.ManifestFile)
	if len(m.Artifacts) == 0 {
		return nil, fmt.Errorf("%s: the build manifest lists no artifacts", manifest)
	}
	for _, a := range m.Artifacts {
		if a.Kind != layers.KindLayer {
			continue
		}
		if err := a.Target().Validate(); err != nil {
			return nil, fmt.Errorf("%s: layer %q: %w", manifest, a.Name, err)
		}
	}
	loadRel := func(rec layers.Artifact, kind layers.Kind) (*lint.Artifact, error) {
		p, err := artifactPath(dir, manifest, rec.Path)
		if err != nil {
			return nil, err
		}
		a, err := load(p, kind)
		if err != nil {
			return nil, err
		}
		if a.Changed == "" {
			if a.Changed, err = changedSince(p, a, rec, verify); err != nil {
				return nil, err
			}
		}
		return a, nil
	}
	var bundles []*lint.Bundle
	fn, hasFn := m.Function()
	for _, t := range m.Targets() {
		if (want.Runtime != "" && t.Runtime != want.Runtime) || (want.Arch != "" && t.Arch != want.Arch) {
			continue
		}
		b := &lint.Bundle{Name: name, Target: t}
		if hasFn {
			a, err := loadRel(fn, layers.KindFunction)
			if err != nil {
				return nil, err
			}
			b.AddFunction(a)
		}
		for _, l := range m.Layers(t) {
			a, err := loadRel(l, layers.KindLayer)
			if err != nil {
				return nil, err
			}
			b.AddLayer(a)
		}
		bundles = append(bundles, b)
	}
	if len(m.Targets()) == 0 && hasFn {
		a, err := loadRel(fn, layers.KindFunction)
		if err != nil {
			return nil, err
		}
		b := &lint.Bundle{Name: name, Target: want}
		b.AddFunction(a)
		bundles = append(bundles, b)
	}
	if len(bundles) == 0 {
		return nil, fmt.Errorf("%s: %w %s/%s (it has %v)", name, ErrNoTargets, want.Runtime, want.Arch, m.Targets())
	}
	return bundles, nil
}
