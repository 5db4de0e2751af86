package cdk

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/layerkit/layerkit/internal/deploy"
)

// The artifact types of a cloud assembly manifest that the reader follows
// (@aws-cdk/cloud-assembly-schema's ArtifactType).
const (
	typeStack         = "aws:cloudformation:stack"
	typeAssembly      = "cdk:cloud-assembly"
	typeAssetManifest = "cdk:asset-manifest"
)

// manifest is a cloud assembly's manifest.json, as far as it is read.
type manifest struct {
	Version   any                 `json:"version"`
	Artifacts map[string]artifact `json:"artifacts"`
}

// artifact is one entry of a manifest's artifacts; Properties depend on
// Type.
type artifact struct {
	Type string `json:"type"`
	// Environment is "aws://ACCOUNT/REGION", with unknown-account and
	// unknown-region for environment-agnostic stacks.
	Environment string          `json:"environment"`
	Properties  json.RawMessage `json:"properties"`
	DisplayName string          `json:"displayName"`
}

type stackProps struct {
	TemplateFile string `json:"templateFile"`
	StackName    string `json:"stackName"`
}

type assemblyProps struct {
	DirectoryName string `json:"directoryName"`
	DisplayName   string `json:"displayName"`
}

type assetManifestProps struct {
	File string `json:"file"`
}

// readManifest reads and decodes the manifest at p; a file that is JSON but
// not a cloud assembly manifest is deploy.ErrNotRecognised.
func readManifest(p string) (*manifest, error) {
	data, err := deploy.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if !isManifest(data) {
		return nil, fmt.Errorf("%s: %w (no string version and artifacts object)", p, deploy.ErrNotRecognised)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", p, err)
	}
	return &m, nil
}

// props decodes an artifact's properties into v, naming the manifest and
// the artifact when they do not fit.
func props(a artifact, v any, mpath, id string) error {
	if len(a.Properties) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.Properties, v); err != nil {
		return fmt.Errorf("%s: artifact %s: properties: %w", mpath, id, err)
	}
	return nil
}

// asset is one file asset of an asset manifest: its source path is
// relative to the folder of the asset manifest.
type asset struct {
	dir       string
	path      string
	packaging string
	// decl is the asset manifest, for errors.
	decl string
}

// assetManifest is a <Stack>.assets.json file, as far as it is read.
type assetManifest struct {
	Files map[string]struct {
		Source struct {
			Path      string `json:"path"`
			Packaging string `json:"packaging"`
		} `json:"source"`
	} `json:"files"`
}

// loadAssets adds the file assets of the asset manifest file (relative to
// dir, named by the manifest at mpath) to idx. A missing asset manifest is a
// note: templates name their assets too.
func (r *reader) loadAssets(dir, mpath, file string, idx map[string]asset) error {
	p, missing, err := r.confine(dir, file, mpath)
	if err != nil {
		return err
	}
	if missing {
		r.proj.Notes = append(r.proj.Notes, fmt.Sprintf("asset manifest %s is not in the assembly", file))
		return nil
	}
	data, err := r.readTemplate(p)
	if err != nil {
		return err
	}
	var am assetManifest
	if err := json.Unmarshal(data, &am); err != nil {
		return fmt.Errorf("parsing %s: %w", p, err)
	}
	for hash, f := range am.Files {
		if f.Source.Path == "" {
			continue
		}
		if _, ok := idx[hash]; ok {
			continue // the same hash is the same content
		}
		idx[hash] = asset{dir: filepath.Dir(p), path: f.Source.Path, packaging: f.Source.Packaging, decl: p}
	}
	return nil
}
