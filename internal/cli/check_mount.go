package cli

import (
	"strings"

	"github.com/layerkit/layerkit/internal/source"
)

// parseMountsAndEnv reads check's --mount PATH=DIR and --env K=V flags into
// the request.
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
	return nil
}
