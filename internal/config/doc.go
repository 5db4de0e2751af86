// Package config loads layerkit.yaml, fills in defaults, and validates it,
// reporting every problem at once. Without a config file it derives one from
// the folder convention: each layers/<runtime>-<arch>/ folder is a target of
// the layer "deps", everything else is the function's code. Folders it
// names (main.root, from:, layers/) must lie inside the project once
// symlinks are resolved (see Resolve).
//
// It reads the config file and lists folders; it writes nothing.
package config
