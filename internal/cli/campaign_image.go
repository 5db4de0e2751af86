package cli

import (
	"fmt"
	"os"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/layers"
)

// parseImageMaps reads --image-map OLD_REPO=NEW_REF entries: OLD_REPO is
// a repository (a tag or digest on it is dropped), NEW_REF an image with
// a tag or digest.
func parseImageMaps(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := splitKV(kv)
		if !ok {
			return nil, usageErrorf("--image-map %q: want OLD_REPOSITORY=NEW_IMAGE", kv)
		}
		if err := campaign.CheckImageRef(v); err != nil {
			return nil, usageErrorf("--image-map %q: %v", kv, err)
		}
		out[campaign.ImageRepository(k)] = v
	}
	return out, nil
}

// splitKV splits KEY=VALUE with neither empty.
func splitKV(kv string) (k, v string, ok bool) {
	for i := range len(kv) {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], i > 0 && i < len(kv)-1
		}
	}
	return "", "", false
}

// readBuildImages reads the image artifacts of a build's manifest that
// were pushed (they have a Ref); an image built but not pushed cannot be
// deployed, and is left out.
func readBuildImages(path string) ([]layers.Artifact, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := layers.ReadManifest(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var out []layers.Artifact
	for _, a := range m.Images() {
		if a.Ref != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no pushed images (build with --image --push)", path)
	}
	return out, nil
}

// runtimeCell is a plan table's runtime cell: the runtime, or "image" for
// an image function.
func runtimeCell(c campaign.Config) string {
	if c.ImageURI != "" {
		return "image"
	}
	return c.Runtime
}
