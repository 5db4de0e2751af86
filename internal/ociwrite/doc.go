// Package ociwrite makes the container images `layerkit build --image`
// writes: it resolves a base image for one platform (from a registry or an
// OCI image layout folder), writes the image layers layerkit adds as
// deterministic tar.gz blobs (with zipper.WriteTarGz, the same parallel
// deflate as the zips), appends them to the base with the handler as CMD,
// writes the result as an OCI image layout, and pushes it to a registry as
// one image manifest.
//
// The image format and the registry protocol are go-containerregistry's
// (v1, mutate, layout, remote), as ko builds on them: this package only
// decides what goes into an image. It never extracts a layer: base layers
// are copied as blobs, read only to verify them (digest, diff ID, names
// that would leave the root) and to count their uncompressed size.
//
// It does not plan what the layers hold (package split does) nor check the
// images it writes (that is the checker's job, called by package build).
package ociwrite
