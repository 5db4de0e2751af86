// Package layers is layerkit's public domain model: CPU architectures,
// Lambda runtimes (from the runtime catalog embedded in the package), build
// targets, Lambda's documented limits, and the manifest that `layerkit build`
// writes beside its zips.
//
// The package imports only the standard library, so other tools can read a
// layerkit manifest or ask the catalog about a runtime without pulling in
// layerkit's CLI, zip writer or AWS dependencies. It performs no I/O beyond
// reading and writing the io.Reader/io.Writer it is handed.
package layers
