package sam

import "strings"

// mergeGlobals merges Globals.Function into a function's properties as
// SAM's transform does (samtranslator/plugins/globals/globals.py,
// GlobalProperties, in aws-sam-translator 1.115.0): a mapping merges key by
// key, a list is the global entries then the function's, except
// Architectures, where the function's list replaces the global one; anything
// else, including an intrinsic function and two values of different kinds,
// is the function's own value. Neither argument is changed.
func mergeGlobals(global, local map[string]any) map[string]any {
	if global == nil {
		return local
	}
	merged, _ := merge(global, local, "").(map[string]any)
	return merged
}

// replaced are the properties (dot paths) whose value in a function
// replaces the global one whatever its kind (CUSTOM_STRATEGIES in
// globals.py).
var replaced = map[string]bool{"Architectures": true}

func merge(global, local any, path string) any {
	g, l := kind(global), kind(local)
	switch {
	case g != l || g == primitive || replaced[path]:
		return local
	case g == mapping:
		gm, lm := global.(map[string]any), local.(map[string]any)
		out := make(map[string]any, len(gm)+len(lm))
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			if gv, ok := gm[k]; ok {
				out[k] = merge(gv, v, strings.TrimPrefix(path+"."+k, "."))
			} else {
				out[k] = v
			}
		}
		return out
	default: // two lists
		gl, ll := global.([]any), local.([]any)
		out := make([]any, 0, len(gl)+len(ll))
		return append(append(out, gl...), ll...)
	}
}

type valueKind int

const (
	primitive valueKind = iota
	mapping
	list
)

// kind classifies a value as SAM's GlobalProperties._token_of does: an
// intrinsic function ({"Ref": ...}, {"Fn::...": ...}) counts as a
// primitive, not a mapping.
func kind(v any) valueKind {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k := range v {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return primitive
				}
			}
		}
		return mapping
	case []any:
		return list
	}
	return primitive
}
