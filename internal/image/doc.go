// Package image reads a container image as Lambda runs it: from an OCI image
// layout folder, a `docker save` or OCI-archive tarball, or a registry, and
// its layers applied in order (whiteouts and opaque folders honoured) as one
// flattened file tree, streamed.
//
// It uses github.com/google/go-containerregistry for the image format and
// the registry protocol (the library ko and crane build on) rather than
// writing either by hand. It verifies every layer against its digest and
// its diff_id while it streams it, and never writes anything to disk: a
// layer is a tar+gzip stream without random access, so Flatten reads each
// layer once (again only for the rare ELF object whose dynamic sections lie
// past what one forward pass keeps), hands each regular file's content to
// the caller as it goes by, and decides which entries survive as it applies
// the layers in order, each as soon as those below it are read.
//
// It does not judge what it reads: hostile names and links are reported as
// problems for the rules in internal/lint, and credentials come from the
// caller's keychain (ECR's is built under internal/aws).
package image
