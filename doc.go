// Package layerkit is the root of the layerkit module. It holds no code: the
// command is cmd/layerkit, the public domain model is package layers, and
// the rest lives under internal/. Its test file enforces the import rules
// between those packages.
package layerkit
