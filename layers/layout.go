package layers

import (
	"slices"
	"sort"
)

// AllLayerDirs returns the top-level folders that some runtime reads in a
// layer: the union of every runtime's LayerDirs.
func AllLayerDirs() []string {
	return []string{"bin", "extensions", "java", "lib", "nodejs", "python", "ruby"}
}

// Layout is what a layer's top level says about where its files land under
// /opt.
type Layout struct {
	// Read lists the top-level names the runtime reads, sorted.
	Read []string
	// Unread lists the other top-level names, sorted: each lands in
	// /opt/NAME, where the runtime does not look.
	Unread []string
	// Wrapper is set when no top-level name is read but the top-level
	// folder Wrapper holds Inner, one of the runtime's folders: the content
	// lands in /opt/Wrapper/Inner, one level too deep.
	Wrapper, Inner string
}

// CheckLayout classifies a layer's top level for runtime r, or for any
// runtime when r is nil. tops maps each top-level name to the names directly
// inside it (nil for a file). A provided runtime's bootstrap counts as read.
func CheckLayout(r *Runtime, tops map[string][]string) Layout {
	dirs := AllLayerDirs()
	if r != nil {
		dirs = r.LayerDirs()
	}
	var l Layout
	for _, name := range sortedNames(tops) {
		if slices.Contains(dirs, name) || (name == "bootstrap" && r != nil && r.Family() == "provided") {
			l.Read = append(l.Read, name)
		} else {
			l.Unread = append(l.Unread, name)
		}
	}
	if len(l.Read) > 0 {
		return l
	}
	for _, name := range l.Unread {
		inner := slices.Clone(tops[name])
		sort.Strings(inner)
		for _, in := range inner {
			if slices.Contains(dirs, in) {
				l.Wrapper, l.Inner = name, in
				return l
			}
		}
	}
	return l
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
