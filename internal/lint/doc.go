// Package lint checks what Lambda would load from a function's code and its
// layers, before it is deployed: every bundled binary's machine and format,
// what each ELF object needs from glibc and libstdc++ and whether its
// libraries resolve, Python and Node ABI tags, layer layout, secrets, dead
// weight, hostile zip entries, and every Lambda size limit.
//
// Loading (LoadDir, LoadZip) is the only I/O: it reads each file's first
// bytes and, for ELF objects and wheel metadata, the little more the rules
// need, in parallel, touching each file once. Check is pure: rules over a
// Bundle (code plus layers, in the order Lambda extracts them, and the
// target) give Findings. Findings are data, each with a stable rule ID that
// `layerkit explain` describes; an error is returned only for I/O.
package lint
