package campaign

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/layers"
)

// between reports whether each of live's runtime, architecture, layers and
// image is what was recorded or what the campaign set: a state layerkit
// itself may have left, not a change by someone else.
func between(live, rec, target Config) bool {
	return (live.Runtime == rec.Runtime || live.Runtime == target.Runtime) && (live.Arch == rec.Arch || live.Arch == target.Arch) &&
		(slices.Equal(live.Layers, rec.Layers) || slices.Equal(live.Layers, target.Layers)) &&
		(live.ImageURI == rec.ImageURI || live.ImageURI == target.ImageURI)
}

// configOf reads a function's runtime, architecture and layers as a plan
// writes them.
func configOf(c *ltypes.FunctionConfiguration) Config {
	cfg := Config{Runtime: string(c.Runtime), Arch: layers.X86_64, Layers: []string{}}
	if len(c.Architectures) > 0 {
		cfg.Arch = layers.Arch(c.Architectures[0])
	}
	for _, l := range c.Layers {
		cfg.Layers = append(cfg.Layers, aws.ToString(l.Arn))
	}
	return cfg
}

// Equal reports whether two configurations are the same; layer order
// counts, as it does on Lambda.
func (c Config) Equal(d Config) bool {
	return c.Runtime == d.Runtime && c.Arch == d.Arch && slices.Equal(c.Layers, d.Layers) && c.ImageURI == d.ImageURI
}

// String is c as messages print it: RUNTIME/ARCH with layers [NAME:VERSION, …],
// or "image URI/ARCH" for an image function.
func (c Config) String() string {
	if c.ImageURI != "" {
		return fmt.Sprintf("image %s/%s", c.ImageURI, c.Arch)
	}
	ls := make([]string, len(c.Layers))
	for i, l := range c.Layers {
		ls[i] = ShortLayer(l)
	}
	return fmt.Sprintf("%s/%s with layers [%s]", c.Runtime, c.Arch, strings.Join(ls, ", "))
}

// ShortLayer is NAME:VERSION of a layer version ARN, as people name a
// layer version in tables and messages.
func ShortLayer(arn string) string {
	if i := strings.Index(arn, ":layer:"); i >= 0 {
		return arn[i+len(":layer:"):]
	}
	return arn
}
