package cfn

import (
	"fmt"
	"strings"
)

// Resolver resolves intrinsic functions whose value is known offline.
type Resolver struct {
	T *Template
	// Params overrides parameters' defaults (--parameter K=V).
	Params map[string]string
	// Pseudo gives pseudo parameters such as AWS::Region when known.
	Pseudo map[string]string
}

// String resolves v to a string: a literal, a Ref to a parameter with a
// default or an override, a pseudo parameter given, or Fn::Sub and
// Fn::Join over resolvable parts. Fn::If and every other intrinsic are not
// resolved: which branch holds is known only at deploy time. ok is false
// when v depends on something known only then.
func (r *Resolver) String(v any) (s string, ok bool) {
	return r.str(v, 0)
}

func (r *Resolver) str(v any, d int) (string, bool) {
	if d > maxDepth {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case float64:
		return strings.TrimSuffix(fmt.Sprintf("%v", v), ".0"), true
	case bool:
		return fmt.Sprint(v), true
	case map[string]any:
		if len(v) != 1 {
			return "", false
		}
		for k, x := range v {
			switch k {
			case "Ref":
				name, ok := x.(string)
				if !ok {
					return "", false
				}
				return r.ref(name)
			case "Fn::Sub":
				return r.sub(x, d)
			case "Fn::Join":
				l, ok := x.([]any)
				if !ok || len(l) != 2 {
					return "", false
				}
				sep, ok := l[0].(string)
				parts, ok2 := l[1].([]any)
				if !ok || !ok2 {
					return "", false
				}
				out := make([]string, 0, len(parts))
				for _, p := range parts {
					s, ok := r.str(p, d+1)
					if !ok {
						return "", false
					}
					out = append(out, s)
				}
				return strings.Join(out, sep), true
			}
		}
	}
	return "", false
}

func (r *Resolver) ref(name string) (string, bool) {
	if v, ok := r.Params[name]; ok {
		return v, true
	}
	if v, ok := r.Pseudo[name]; ok {
		return v, true
	}
	if r.T == nil {
		return "", false
	}
	if p, ok := r.T.Parameters[name]; ok && p.Default != nil {
		return r.str(p.Default, maxDepth) // a default is a literal
	}
	return "", false
}

func (r *Resolver) sub(x any, d int) (string, bool) {
	var tmpl string
	vars := map[string]any{}
	switch x := x.(type) {
	case string:
		tmpl = x
	case []any:
		if len(x) != 2 {
			return "", false
		}
		s, ok := x[0].(string)
		m, ok2 := x[1].(map[string]any)
		if !ok || !ok2 {
			return "", false
		}
		tmpl, vars = s, m
	default:
		return "", false
	}
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), true
		}
		b.WriteString(tmpl[:i])
		if strings.HasPrefix(tmpl[i:], "${!") { // literal ${
			b.WriteString("${")
			tmpl = tmpl[i+3:]
			continue
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return "", false
		}
		name := tmpl[i+2 : i+j]
		tmpl = tmpl[i+j+1:]
		var s string
		var ok bool
		if v, has := vars[name]; has {
			s, ok = r.str(v, d+1)
		} else {
			s, ok = r.ref(name)
		}
		if !ok {
			return "", false
		}
		b.WriteString(s)
	}
}

// RefTarget returns the logical ID a {"Ref": ID} or {"Fn::GetAtt": [ID,
// ...]} value points at, when ID is a resource of the template.
func (r *Resolver) RefTarget(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	var id string
	switch x := m["Ref"].(type) {
	case string:
		id = x
	}
	if l, ok := m["Fn::GetAtt"].([]any); ok && len(l) > 0 {
		id, _ = l[0].(string)
	}
	if id == "" || r.T == nil {
		return "", false
	}
	if _, ok := r.T.Resources[id]; !ok {
		return "", false
	}
	return id, true
}

// Strings resolves a list (or a single value) of strings, skipping items
// that do not resolve; it also returns the items it could not resolve.
func (r *Resolver) Strings(v any) (out []string, unresolved []any) {
	l, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		l = []any{v}
	}
	for _, x := range l {
		if s, ok := r.String(x); ok {
			out = append(out, s)
		} else {
			unresolved = append(unresolved, x)
		}
	}
	return out, unresolved
}
