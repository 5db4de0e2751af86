// Package source turns what a user names into bundles for lint to check: a
// folder, a zip, a layerkit build's output folder (recognised by its
// manifest's content, not its name), or one function's code plus its
// layers. Each input is read through an fstree.Tree; the rules never learn
// which kind of input a bundle came from, only the facts the source sets
// (where each artifact is mounted, whether its zip goes in a request, the
// function's environment).
//
// It does not deploy or call AWS, and it writes nothing but a temporary
// copy of a zip nested in a zip (serverless-python-requirements'
// .requirements.zip), removed once read.
package source
