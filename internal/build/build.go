// Package build runs a build: it plans the zips with package split, writes
// them with package zipper into the output folder, and records them in the
// manifest. It writes nothing outside the output folder, and every file it
// writes there appears whole or not at all.
package build

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// CacheDir is the folder, inside the output folder, where the build keeps
// the index that lets rebuilds reuse compressed bytes.
const CacheDir = ".layerkit-cache"

// Options control a build.
type Options struct {
	Config *config.Config
	// Out is the output folder; "" means the config's.
	Out string
	// Level is the deflate level, 0 to 9; -1 means zipper.DefaultLevel.
	Level int
	// Modified is every entry's timestamp.
	Modified time.Time
	// NoCache turns off reuse of the previous build's compressed bytes.
	NoCache bool
	// Progress, when set, is called as each artifact starts and ends.
	Progress func(a *split.Artifact, done bool)
}

// Result is what a build wrote.
type Result struct {
	Out      string
	Manifest *layers.Manifest
	Excluded []split.Excluded
	Warnings []string
	Notes    []string
	Reused   int
	// Unchanged counts the zips a previous build had already written from
	// the same input, kept as they were.
	Unchanged int
	// Removed lists zips of an earlier build that this build no longer
	// makes, removed from the output folder.
	Removed []string
}

// Run builds the project.
func Run(ctx context.Context, opts Options) (*Result, error) {
	c := opts.Config
	out := opts.Out
	if out == "" {
		out = filepath.Join(c.Dir, filepath.FromSlash(c.Out))
	}
	plan, err := split.PlanBuild(ctx, c, out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output folder: %w", err)
	}
	previous := readPrevious(out)
	res := &Result{Out: out, Excluded: plan.Excluded, Warnings: plan.Warnings, Notes: c.Notes,
		Manifest: &layers.Manifest{Version: layers.ManifestVersion}}
	zopts := zipper.Options{Level: opts.Level, Modified: opts.Modified}
	if !opts.NoCache {
		zopts.CacheDir = filepath.Join(out, CacheDir)
	}
	for i := range plan.Artifacts {
		a := &plan.Artifacts[i]
		if opts.Progress != nil {
			opts.Progress(a, false)
		}
		zr, err := writeArtifact(ctx, out, a, zopts)
		if err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(a, true)
		}
		res.Reused += zr.Reused
		if zr.Unchanged {
			res.Unchanged++
		}
		res.Manifest.Artifacts = append(res.Manifest.Artifacts, layers.Artifact{
			Kind: a.Kind, Name: a.Name, Runtime: a.Target.Runtime, Arch: a.Target.Arch, Path: a.Path,
			SHA256: hex.EncodeToString(zr.SHA256[:]), CodeSHA256: base64.StdEncoding.EncodeToString(zr.SHA256[:]),
			ZippedBytes: zr.ZippedBytes, UnzippedBytes: zr.UnzippedBytes, Files: zr.Files,
		})
	}
	if err := writeManifest(out, res.Manifest); err != nil {
		return nil, err
	}
	res.Removed = removeStale(out, previous, res.Manifest)
	return res, nil
}

func writeArtifact(ctx context.Context, out string, a *split.Artifact, opts zipper.Options) (zipper.Result, error) {
	root, err := os.OpenRoot(a.Root)
	if err != nil {
		return zipper.Result{}, err
	}
	defer root.Close()
	dst := filepath.Join(out, filepath.FromSlash(a.Path))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return zipper.Result{}, fmt.Errorf("creating the output folder: %w", err)
	}
	src := zipper.NewRootSource(root)
	defer src.Close()
	res, err := zipper.WriteFile(ctx, dst, src, a.Entries, opts)
	if err != nil {
		var pe *zipper.PathError
		if errors.As(err, &pe) {
			// Name the file on disk, not only its path in the zip.
			return res, fmt.Errorf("building %s: %s %s: %w", a.Path, pe.Op, filepath.Join(a.Root, filepath.FromSlash(pe.Name)), pe.Err)
		}
		return res, fmt.Errorf("building %s: %w", a.Path, err)
	}
	return res, nil
}

func writeManifest(out string, m *layers.Manifest) error {
	var b bytes.Buffer
	if err := layers.WriteManifest(&b, m); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(out, layers.ManifestFile), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	return nil
}

func readPrevious(out string) *layers.Manifest {
	f, err := os.Open(filepath.Join(out, layers.ManifestFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	m, err := layers.ReadManifest(f)
	if err != nil {
		return nil
	}
	return m
}

// removeStale deletes zips the previous manifest listed and this build no
// longer makes. Only files a manifest names are touched, and only inside
// the output folder.
func removeStale(out string, prev, cur *layers.Manifest) []string {
	if prev == nil {
		return nil
	}
	keep := map[string]bool{}
	for _, a := range cur.Artifacts {
		keep[a.Path] = true
	}
	var removed []string
	for _, a := range prev.Artifacts {
		if keep[a.Path] || !fs.ValidPath(a.Path) {
			continue
		}
		p := filepath.Join(out, filepath.FromSlash(a.Path))
		if err := os.Remove(p); err == nil {
			removed = append(removed, a.Path)
			zipper.ForgetCache(filepath.Join(out, CacheDir), p)
		}
	}
	return removed
}
