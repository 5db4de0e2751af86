// Package source turns what a user names into bundles for lint to check: a
// folder, a zip, a layerkit build's output folder (recognised by its
// manifest's content, not its name), or one function's code plus its
// layers, or a container image (an OCI layout folder, a docker save or OCI
// archive tarball, recognised by content, or a registry reference, read
// through internal/image and mounted whole at "/" with the facts the image
// gives: its platform, ENTRYPOINT/CMD, glibc, libstdc++, Python and loader
// folders). Each other input is read through an fstree.Tree. The rules
// never learn which kind of input a bundle came from, only the facts the
// source sets (where each artifact is mounted, whether its zip goes in a
// request, the function's environment, an image's own facts).
//
// It does not deploy or call AWS (a registry's credentials come from the
// caller's keychain), and it writes nothing but a temporary copy of a zip
// nested in a zip (serverless-python-requirements' .requirements.zip),
// removed once read.
package source
