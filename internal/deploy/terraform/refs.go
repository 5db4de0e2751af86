package terraform

import (
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// A layer a plan creates has no ARN until apply: the function's layers are
// unknown in the plan (after_unknown is true for the whole list, as
// providers built on the SDKv2 plan it, or for the element). Which layers
// they are is in the configuration: the references of the function's layers expression, such
// as "aws_lambda_layer_version.native.arn", or "var.layers" inside a module
// (then the module call's expression in the parent says), or
// "module.deps.arn" (then the module's output expression says).

// maxFollow bounds the references followed for one function: a real
// configuration passes a layer through a few modules at most.
const maxFollow = 10000

// step is one module call in a module instance's address: its name and its
// key ("[0]", `["a"]`), empty without count or for_each.
type step struct{ name, key string }

// part is one name of a reference or address with the keys after it.
type part struct{ name, key string }

// configResource is the configuration of a resource instance; nil when the
// plan has none (a state) or it is not found.
func (r *reader) configResource(res *resource) *tfjson.ConfigResource {
	mod, ok := parseModule(res.module)
	if !ok {
		return nil
	}
	cm := r.configModule(mod)
	if cm == nil {
		return nil
	}
	for _, cr := range cm.Resources {
		if cr != nil && cr.Mode != tfjson.DataResourceMode && cr.Type == res.typ && cr.Name == res.name {
			return cr
		}
	}
	return nil
}

// configured reports whether the configuration sets the resource's
// argument; true when it cannot tell (no configuration).
func (r *reader) configured(res *resource, arg string) bool {
	cr := r.configResource(res)
	if cr == nil {
		return true
	}
	_, ok := cr.Expressions[arg]
	return ok
}

// layerRefs returns the addresses of the aws_lambda_layer_version resources
// the function's layers expression references, in order, each once.
func (r *reader) layerRefs(res *resource) []string {
	cr := r.configResource(res)
	if cr == nil {
		return nil
	}
	expr := cr.Expressions["layers"]
	if expr == nil || expr.ExpressionData == nil {
		return nil
	}
	mod, _ := parseModule(res.module)
	w := &walk{r: r, seen: map[string]bool{}, visited: map[string]bool{}}
	w.follow(mod, expr.References)
	return w.out
}

// walk is one function's following of references.
type walk struct {
	r       *reader
	seen    map[string]bool // layer addresses found
	visited map[string]bool // module instance and reference, followed once
	budget  int
	out     []string
}

func (w *walk) follow(mod []step, refs []string) {
	for _, ref := range refs {
		key := moduleString(mod) + "\x00" + ref
		if w.visited[key] || w.budget >= maxFollow {
			continue
		}
		w.visited[key] = true
		w.budget++
		parts := parseTraversal(ref)
		if len(parts) < 2 {
			continue
		}
		switch parts[0].name {
		case layerType:
			if parts[0].key != "" {
				continue
			}
			addr := moduleString(mod) + layerType + "." + parts[1].name + parts[1].key
			if a := w.r.match(addr); a != "" && !w.seen[a] {
				w.seen[a] = true
				w.out = append(w.out, a)
			}
		case "var":
			if len(mod) == 0 {
				continue // a root variable's value is known: it is no layer of this plan
			}
			parent := mod[:len(mod)-1]
			pm := w.r.configModule(parent)
			if pm == nil {
				continue
			}
			call := pm.ModuleCalls[mod[len(mod)-1].name]
			if call == nil {
				continue
			}
			if e := call.Expressions[parts[1].name]; e != nil && e.ExpressionData != nil {
				w.follow(parent, e.References)
			}
		case "module":
			if len(parts) < 3 {
				continue
			}
			child := append(append([]step(nil), mod...), step{parts[1].name, parts[1].key})
			cm := w.r.configModule(child)
			if cm == nil {
				continue
			}
			if o := cm.Outputs[parts[2].name]; o != nil && o.Expression != nil && o.Expression.ExpressionData != nil {
				w.follow(child, o.Expression.References)
			}
		}
	}
}

// configModule is the configuration of a module instance: the module calls'
// keys do not matter, every instance has the same configuration.
func (r *reader) configModule(mod []step) *tfjson.ConfigModule {
	if r.config == nil {
		return nil
	}
	m := r.config.RootModule
	for _, s := range mod {
		if m == nil {
			return nil
		}
		call := m.ModuleCalls[s.name]
		if call == nil {
			return nil
		}
		m = call.Module
	}
	return m
}

// match finds the layer resource at addr. A reference without a key (a
// resource or module with count or for_each, indexed by an expression)
// matches an instance with any key, when only one does.
func (r *reader) match(addr string) string {
	if res := r.resources[addr]; res != nil {
		if res.typ == layerType {
			return addr
		}
		return ""
	}
	want := parseTraversal(addr)
	if want == nil {
		return ""
	}
	found := ""
	for _, a := range r.layersByName[names(want)] {
		got := parseTraversal(a)
		same := len(got) == len(want)
		for i := 0; same && i < len(want); i++ {
			same = want[i].key == "" || got[i].key == want[i].key
		}
		if !same {
			continue
		}
		if found != "" {
			return "" // more than one instance: which one is not known offline
		}
		found = a
	}
	return found
}

// names is a traversal without its keys: the names, joined by dots.
func names(parts []part) string {
	ns := make([]string, len(parts))
	for i, p := range parts {
		ns[i] = p.name
	}
	return strings.Join(ns, ".")
}

// parseModule reads a module instance's address ("module.a[0].module.b");
// "" is the root module.
func parseModule(addr string) ([]step, bool) {
	if addr == "" {
		return nil, true
	}
	parts := parseTraversal(addr)
	if parts == nil || len(parts)%2 != 0 {
		return nil, false
	}
	mod := make([]step, 0, len(parts)/2)
	for i := 0; i < len(parts); i += 2 {
		if parts[i].name != "module" || parts[i].key != "" {
			return nil, false
		}
		mod = append(mod, step{parts[i+1].name, parts[i+1].key})
	}
	return mod, true
}

// moduleString is the prefix a module instance gives its resources'
// addresses: "" for the root, "module.a[0].module.b." otherwise.
func moduleString(mod []step) string {
	var b strings.Builder
	for _, s := range mod {
		b.WriteString("module.")
		b.WriteString(s.name)
		b.WriteString(s.key)
		b.WriteString(".")
	}
	return b.String()
}

// parseTraversal splits a reference or address at its dots, keeping each
// name's keys ("[0]", `["a.b"]`) with it. It returns nil for what is not
// one: an unterminated key, a key not followed by a dot.
func parseTraversal(s string) []part {
	var parts []part
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '.' && s[j] != '[' {
			j++
		}
		p := part{name: s[i:j]}
		for j < len(s) && s[j] == '[' {
			k := closeKey(s, j)
			if k < 0 {
				return nil
			}
			p.key += s[j:k]
			j = k
		}
		parts = append(parts, p)
		if j < len(s) {
			if s[j] != '.' {
				return nil
			}
			j++
			if j == len(s) {
				return nil
			}
		}
		i = j
	}
	return parts
}

// closeKey returns the index just past the ']' that closes the key opening
// at s[i], reading quoted strings with their escapes; -1 when none does.
func closeKey(s string, i int) int {
	quoted := false
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case quoted && c == '\\':
			j++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ']':
			return j + 1
		}
	}
	return -1
}
