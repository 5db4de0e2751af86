// Package build runs a build: it plans the zips with package split, writes
// them with package zipper into the output folder, and records them in the
// manifest; or, with Options.Image, writes one container image per target
// from the same plan with package ociwrite (see ImageOptions). It writes nothing outside the output folder, and nothing
// through a symlink inside it; every file it writes there appears whole or
// not at all, and the zips and the manifest change together: a build that
// fails or is cancelled leaves the previous output as it was. One build at
// a time writes an output folder (LockFile).
package build

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/layerkit/layerkit/internal/cachedir"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// CacheDir is the folder, inside the output folder, where the build keeps
// the index that lets rebuilds reuse compressed bytes.
const CacheDir = ".layerkit-cache"

// StoreDir is the subfolder of Options.CacheDir that holds compressed
// files by content.
const StoreDir = "zip"

// Options control a build.
type Options struct {
	Config *config.Config
	// Out is the output folder; "" means the config's out:, relative to the
	// project folder. The output folder may not be or hold a folder the
	// build packages (ErrOutputHoldsSource); an Out set here may otherwise
	// be anywhere.
	Out string
	// OutOutsideProject lets the config's out: resolve outside the project
	// folder; without it that is ErrOutsideProject, so that a project's
	// config cannot direct the build's writes elsewhere.
	OutOutsideProject bool
	// Level is the deflate level, 0 to 9; -1 means zipper.DefaultLevel.
	Level int
	// Modified is every entry's timestamp.
	Modified time.Time
	// NoCache turns off reuse of compressed bytes: the previous build's,
	// and the shared cache's.
	NoCache bool
	// Slim slims every artifact, as slim: true in the config does for one:
	// test suites, docs and examples inside packages and stale bytecode
	// are left out, and ELF objects lose their debug sections (see
	// slimArtifact). The manifest records what went (layers.Slimmed).
	Slim bool
	// CacheDir is layerkit's cache folder, shared by every project on the
	// machine (cachedir.Default); the build keeps compressed files by
	// content in its zip/ subfolder (zipper.Store), so that a fresh
	// checkout reuses them. "" means none.
	CacheDir string
	// CacheMax bounds the zip/ subfolder of CacheDir: after the build, the
	// least recently used packs are removed until it fits. 0 means
	// cachedir.DefaultMax.
	CacheMax int64
	// Progress, when set, is called as each artifact starts and ends.
	Progress func(a *split.Artifact, done bool)
	// Image, when set, makes the build write one container image per
	// target (an OCI image layout in images/<runtime>-<arch>/) instead of
	// zips.
	Image *ImageOptions
}

// Result is what a build wrote.
type Result struct {
	Out      string
	Manifest *layers.Manifest
	Excluded []split.Excluded
	Warnings []string
	Notes    []string
	Reused   int
	// Cached counts the files among Reused that came from the shared
	// cache (Options.CacheDir), found by their content.
	Cached int
	// Unchanged counts the zips a previous build had already written from
	// the same input, kept as they were.
	Unchanged int
	// Removed lists zips of an earlier build that this build no longer
	// makes, removed from the output folder.
	Removed []string
}

// Run builds the project. Every zip is written under a temporary name
// first; only when all are complete are they renamed into place, then the
// manifest is written. An error or a cancelled ctx before that point leaves
// the previous output as it was, its manifest matching its zips.
// Everything the build creates, renames or removes is inside the output
// folder, reached without following a symlink below it.
func Run(ctx context.Context, opts Options) (*Result, error) {
	c := opts.Config
	out, real, err := outputFolder(c, opts)
	if err != nil {
		return nil, err
	}
	plan, err := split.PlanBuild(ctx, c, real)
	if err != nil {
		return nil, err
	}
	wantLayers := false
	for _, a := range plan.Artifacts {
		wantLayers = wantLayers || strings.HasPrefix(a.Path, layersDir+"/")
	}
	image := opts.Image != nil
	o, err := openOutput(real, out, wantLayers && !image, !opts.NoCache && !image, image)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	swept, err := o.sweep()
	if err != nil {
		return nil, err
	}
	previous := o.readManifest()
	res := &Result{Out: out, Excluded: plan.Excluded, Warnings: plan.Warnings, Notes: slices.Clone(c.Notes),
		Manifest: &layers.Manifest{Version: layers.ManifestVersion}}
	for _, p := range swept {
		res.Notes = append(res.Notes, fmt.Sprintf("removed %s, left by an interrupted build", p))
	}
	if image {
		return runImages(ctx, c, o, plan, previous, res, opts)
	}
	zopts := zipper.Options{Level: opts.Level, Modified: opts.Modified}
	if !opts.NoCache && opts.CacheDir != "" {
		dir := filepath.Join(opts.CacheDir, StoreDir)
		st, err := zipper.OpenStore(dir)
		if err != nil {
			// A build without the shared cache is slower, not wrong.
			res.Warnings = append(res.Warnings, fmt.Sprintf("building without the cache: %v", err))
		} else {
			defer st.Close()
			zopts.Store = st
		}
	}

	staged := make([]*zipper.Staged, 0, len(plan.Artifacts))
	defer func() {
		for _, s := range staged {
			s.Discard() // does nothing to a zip already in place
		}
	}()
	for i := range plan.Artifacts {
		a := &plan.Artifacts[i]
		if opts.Progress != nil {
			opts.Progress(a, false)
		}
		var slimRecord *layers.Slimmed
		on, keep, typing := slimSettings(c, a, opts.Slim)
		var sl *slimmed
		if on {
			if sl, err = slimArtifact(ctx, a, keep, typing); err != nil {
				return nil, fmt.Errorf("slimming %s: %w", a.Path, err)
			}
			slimRecord = sl.record
			res.Warnings = append(res.Warnings, sl.warnings...)
		}
		s, err := stageArtifact(ctx, o, a, opts.NoCache, zopts)
		if sl != nil {
			sl.Close() // the zip is written whole: no more reads
		}
		if err != nil {
			return nil, err
		}
		staged = append(staged, s)
		if opts.Progress != nil {
			opts.Progress(a, true)
		}
		zr := s.Result
		res.Reused += zr.Reused
		res.Cached += zr.Cached
		if zr.Unchanged {
			res.Unchanged++
		}
		res.Manifest.Artifacts = append(res.Manifest.Artifacts, layers.Artifact{
			Kind: a.Kind, Name: a.Name, Runtime: a.Target.Runtime, Arch: a.Target.Arch, Path: a.Path,
			SHA256: hex.EncodeToString(zr.SHA256[:]), CodeSHA256: base64.StdEncoding.EncodeToString(zr.SHA256[:]),
			ZippedBytes: zr.ZippedBytes, UnzippedBytes: zr.UnzippedBytes, Files: zr.Files, Slim: slimRecord,
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := commit(o, staged, res.Manifest); err != nil {
		return nil, err
	}
	for _, s := range staged {
		if err := s.SaveCache(); errors.Is(err, zipper.ErrStoreSave) {
			// The zips are in place; the next build is only slower.
			res.Warnings = append(res.Warnings, err.Error())
		} else if err != nil {
			return nil, err
		}
	}
	if zopts.Store != nil {
		if opts.CacheMax <= 0 {
			opts.CacheMax = cachedir.DefaultMax
		}
		if err := zopts.Store.Trim(opts.CacheMax); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("trimming the cache: %v", err))
		}
	}
	res.Removed = o.removeStale(previous, res.Manifest)
	return res, nil
}

// runImages builds, checks and pushes every target's image, then puts the
// image folders in place and writes the manifest; before that point an
// error leaves the previous output as it was.
func runImages(ctx context.Context, c *config.Config, o *output, plan *split.Plan, previous *layers.Manifest, res *Result, opts Options) (*Result, error) {
	staged, arts, err := buildImages(ctx, c, o, plan, opts)
	defer o.discardImages(staged)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Manifest.Artifacts = arts
	if err := o.commitImages(staged); err != nil {
		if staged[0].done {
			return nil, o.dropManifest(err)
		}
		return nil, err
	}
	if err := o.writeManifest(res.Manifest); err != nil {
		return nil, o.dropManifest(err)
	}
	res.Removed = o.removeStale(previous, res.Manifest)
	return res, nil
}

// commit renames every staged zip into place, then writes the manifest.
// Renames in one folder do not fail in practice; if one does after others
// succeeded, or the manifest cannot be written, the previous manifest is
// removed, so that no manifest describes zips it does not match.
func commit(o *output, staged []*zipper.Staged, m *layers.Manifest) error {
	for i, s := range staged {
		if err := s.Commit(); err != nil {
			err = fmt.Errorf("putting %s in place: %w", m.Artifacts[i].Path, err)
			if i > 0 {
				return o.dropManifest(err)
			}
			return err
		}
	}
	if err := o.writeManifest(m); err != nil {
		return o.dropManifest(err)
	}
	return nil
}

// stageArtifact writes one artifact's zip under a temporary name beside its
// place in the output folder.
func stageArtifact(ctx context.Context, o *output, a *split.Artifact, noCache bool, opts zipper.Options) (*zipper.Staged, error) {
	dir, name, ok := o.dirOf(a.Path)
	if !ok {
		return nil, fmt.Errorf("building %s: not a path a build writes", a.Path)
	}
	root, err := os.OpenRoot(a.Root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	src := zipper.NewRootSource(root)
	defer src.Close()
	d := zipper.Dest{Dir: dir, Name: name}
	if !noCache {
		d.Cache = o.cache
	}
	s, err := zipper.Stage(ctx, d, src, a.Entries, opts)
	if err != nil {
		var pe *zipper.PathError
		if errors.As(err, &pe) {
			// Name the file on disk, not only its path in the zip.
			return nil, fmt.Errorf("building %s: %s %s: %w", a.Path, pe.Op, filepath.Join(a.Root, filepath.FromSlash(pe.Name)), pe.Err)
		}
		return nil, fmt.Errorf("building %s: %w", a.Path, err)
	}
	return s, nil
}
