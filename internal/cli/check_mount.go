package cli

import (
	"strings"

	"github.com/layerkit/layerkit/internal/source"
)

// parseMountsAndEnv reads check's --mount PATH=DIR and --env K=V flags into
// the request, and checks --ephemeral-storage's range.
func parseMountsAndEnv(req *source.Request, mounts, env []string) error {
	for _, s := range mounts {
		m, err := source.ParseMount(s)
		if err != nil {
			return usageErrorf("--mount %v", err)
		}
		req.Mounts = append(req.Mounts, m)
	}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageErrorf("--env %q: want NAME=VALUE", kv)
		}
		if req.Env == nil {
			req.Env = map[string]string{}
		}
		req.Env[k] = v
	}
	// Lambda's EphemeralStorage.Size: 512 to 10,240 MB (FACTS: /tmp).
	if n := req.EphemeralStorageMB; n != 0 && (n < 512 || n > 10240) {
		return usageErrorf("--ephemeral-storage %d: want 512 to 10240 (MB)", n)
	}
	return nil
}
