// Package sam reads what `sam build` leaves on disk, .aws-sam/build: the
// built template.yaml (the source template with every built function's and
// layer's code path rewritten to a <LogicalId>/ folder beside it), those
// folders, and the built templates of nested applications in
// <Child>/template.yaml.
//
// Read returns every function the templates declare, as Lambda will run
// it: SAM's Globals merged in as SAM merges them (the built template keeps
// them apart), parameters resolved from their defaults or from
// deploy.Options.Params, the code folder, and the layers in order, each
// with the architecture sam build built it for. It reads templates and
// checks that every path they name stays inside the output; it reads no
// code: package source does.
//
// It does not run SAM's transform: only the properties that say what code
// runs where (Runtime, Handler, Architectures, Layers,
// Environment.Variables, FunctionName, PackageType, code paths) are read,
// and intrinsic functions only as far as package cfn resolves them
// offline; the rest becomes notes.
package sam
