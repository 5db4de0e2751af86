// Package lint checks what Lambda would load from a function's code and its
// layers, before it is deployed: every bundled binary's machine and format,
// what each ELF object needs from glibc and libstdc++ and whether its
// libraries resolve, Python and Node ABI tags, layer layout, secrets, dead
// weight, hostile zip entries, and every Lambda size limit.
//
// lint checks a Bundle and nothing else: a target, the function's
// environment, and artifacts mounted where Lambda lays them out (/var/task,
// /opt, or any other path such as an EFS mount). It never learns what kind
// of input an artifact came from: the source package (and later ones for
// framework outputs and images) turns inputs into bundles and sets the facts
// the rules use, such as whether an archive goes in the request.
//
// A container image is one artifact mounted at "/" with Bundle.Image set:
// its file rules use the image's own glibc, libraries and Python instead of
// the runtime catalog's, and the image rules (index, platform, layer media
// types, 10 GiB, ENTRYPOINT/CMD) run on what it declares.
//
// Load is the only I/O besides FitOf, which reads files of the same size
// through the opener it is given to find identical ones. Load reads an
// fstree.Tree, each file's first bytes and, for ELF objects and wheel
// metadata, the little more the rules need, in parallel, touching each file
// once, with memory that follows the data read, never sizes an archive
// declares; LoadContent does the same for one file's content streamed by a
// caller (an image's layer). Check is pure: rules over a Bundle give
// Findings; FitOf says, for a package near Lambda's size limit, what could go
// and which ways out fit. Findings are data, each with a stable rule ID that
// `layerkit explain` describes; an error is returned only for I/O.
package lint
