// Command ocibase writes a small two-platform (linux/amd64, linux/arm64)
// Lambda-like base image as an OCI image layout folder, for bench/image.sh:
// AWS's base images are not fetched by the benchmark, and a small base
// keeps the measure on what layerkit itself writes.
//
//	ocibase DIR
package main

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/layerkit/layerkit/internal/ociwrite/ocitest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ocibase DIR")
		os.Exit(2)
	}
	if _, err := layout.Write(os.Args[1], ocitest.Index(false, "amd64", "arm64")); err != nil {
		fmt.Fprintln(os.Stderr, "ocibase:", err)
		os.Exit(1)
	}
}
