package layers

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ManifestFile is the name of the manifest `layerkit build` writes in its
// output folder.
const ManifestFile = "manifest.json"

// ManifestVersion is the version of the manifest format this package writes.
// Readers refuse manifests of a newer version.
const ManifestVersion = 1

// Kind tells a function's code from a layer and from a container image.
type Kind string

// The kinds of artifact a build produces.
const (
	KindFunction Kind = "function"
	KindLayer    Kind = "layer"
	// KindImage is a container image for one target (`layerkit build
	// --image`): an OCI image layout folder at Path.
	KindImage Kind = "image"
)

// Manifest lists what one build produced. It holds no timestamps or host
// names, so identical input gives an identical manifest.
type Manifest struct {
	Version   int        `json:"version"`
	Artifacts []Artifact `json:"artifacts"`
}

// Artifact is one zip, or one container image, of a build.
type Artifact struct {
	Kind Kind `json:"kind"`
	// Name is "main" for the function's code, the layer's name for a
	// layer, and the target ("python3.12-arm64") for an image.
	Name string `json:"name"`
	// Runtime and Arch are the layer's or image's target; empty for the
	// function's code, which is shared by every target.
	Runtime string `json:"runtime,omitempty"`
	Arch    Arch   `json:"arch,omitempty"`
	// Path is the zip's path (or the image's OCI layout folder) relative
	// to the manifest's folder, with '/'.
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of the zip's bytes; empty for an image.
	SHA256 string `json:"sha256,omitempty"`
	// CodeSHA256 is the base64 SHA-256 of the zip's bytes, as Lambda
	// reports it in CodeSha256; empty for an image.
	CodeSHA256 string `json:"code_sha256,omitempty"`
	// ZippedBytes is the zip's size; for an image, the sum of its
	// compressed layers, what a registry stores.
	ZippedBytes int64 `json:"zipped_bytes"`
	// UnzippedBytes is the sum of the entries' sizes; for an image, the
	// sum of its layers' uncompressed sizes, what Lambda's 10 GiB limit
	// counts.
	UnzippedBytes int64 `json:"unzipped_bytes"`
	// Files counts the zip's entries that are files or symlinks (not
	// folders); for an image, those of the layers the build added.
	Files int `json:"files"`
	// Digest is an image's manifest digest ("sha256:<hex>"), by which a
	// registry and Lambda name it; empty for a zip.
	Digest string `json:"digest,omitempty"`
	// Ref is where an image was pushed, "<repository>@<digest>"; empty
	// when it was not.
	Ref string `json:"ref,omitempty"`
	// Slim is set on an artifact built with slimming on (`build --slim`,
	// or slim: true in layerkit.yaml) and says what slimming removed;
	// absent otherwise. UnzippedBytes and Files count what is left.
	Slim *Slimmed `json:"slim,omitempty"`
}

// Slimmed is what slimming removed from one artifact.
type Slimmed struct {
	// Bytes is the total of Removed's bytes.
	Bytes int64 `json:"bytes"`
	// Removed lists, per kind, what went, in a fixed order (test suites,
	// docs and examples, stale Python bytecode, debug sections); a kind
	// with nothing removed is left out.
	Removed []SlimRemoved `json:"removed"`
}

// SlimRemoved is what slimming removed of one kind.
type SlimRemoved struct {
	// Kind names it as package slim does: "test suites", "docs and
	// examples", "stale Python bytecode" or "debug sections".
	Kind string `json:"kind"`
	// Bytes is how much less the artifact unzips to: the size of the files
	// removed, or for debug sections what stripping ELF objects saved.
	Bytes int64 `json:"bytes"`
	// Files counts the files removed; for debug sections, the ELF objects
	// stripped.
	Files int `json:"files"`
}

// Target returns the artifact's target; the zero Target for function code.
func (a Artifact) Target() Target { return Target{Runtime: a.Runtime, Arch: a.Arch} }

// Layers returns the manifest's layer artifacts built for t.
func (m *Manifest) Layers(t Target) []Artifact {
	var out []Artifact
	for _, a := range m.Artifacts {
		if a.Kind == KindLayer && a.Target() == t {
			out = append(out, a)
		}
	}
	return out
}

// Function returns the manifest's function artifact, if it has one.
func (m *Manifest) Function() (Artifact, bool) {
	for _, a := range m.Artifacts {
		if a.Kind == KindFunction {
			return a, true
		}
	}
	return Artifact{}, false
}

// Images returns the manifest's image artifacts, in order.
func (m *Manifest) Images() []Artifact {
	var out []Artifact
	for _, a := range m.Artifacts {
		if a.Kind == KindImage {
			out = append(out, a)
		}
	}
	return out
}

// Targets returns the distinct targets of the manifest's layers, in the
// order they first appear.
func (m *Manifest) Targets() []Target {
	var out []Target
	seen := map[Target]bool{}
	for _, a := range m.Artifacts {
		if a.Kind == KindLayer && !seen[a.Target()] {
			seen[a.Target()] = true
			out = append(out, a.Target())
		}
	}
	return out
}

// WriteManifest writes m as indented JSON with a final newline.
func WriteManifest(w io.Writer, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadManifest reads a manifest written by WriteManifest. It refuses unknown
// fields and versions newer than ManifestVersion.
func ReadManifest(r io.Reader) (*Manifest, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	if m.Version < 1 || m.Version > ManifestVersion {
		return nil, fmt.Errorf("reading manifest: version %d is not supported (this layerkit reads version %d)", m.Version, ManifestVersion)
	}
	for i, a := range m.Artifacts {
		if a.Kind != KindFunction && a.Kind != KindLayer && a.Kind != KindImage {
			return nil, fmt.Errorf("reading manifest: artifact %d: unknown kind %q", i, a.Kind)
		}
		if a.Kind == KindImage && !validDigest(a.Digest) {
			return nil, fmt.Errorf("reading manifest: artifact %d (%s): image digest %q is not sha256:<64 hex digits>", i, a.Name, a.Digest)
		}
		if a.Path == "" {
			return nil, fmt.Errorf("reading manifest: artifact %d (%s): no path", i, a.Name)
		}
	}
	return &m, nil
}

// validDigest reports whether d is "sha256:" and 64 lower-case hex digits.
func validDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
