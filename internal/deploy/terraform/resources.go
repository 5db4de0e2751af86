package terraform

import (
	"fmt"
	"slices"

	tfjson "github.com/hashicorp/terraform-json"
)

// resource is one aws_lambda_function or aws_lambda_layer_version instance
// as the plan or state leaves it.
type resource struct {
	// addr is the instance's address: module path, type, name, key.
	addr string
	// module is the address of the module instance holding it; empty for
	// the root module.
	module string
	typ    string
	name   string
	values map[string]any
	// unknown is the plan's after_unknown for it: which values are known
	// only at apply. Nil for a state.
	unknown map[string]any
}

// reader holds one plan or state while its functions are read.
type reader struct {
	// file is the plan or state read; dir is its folder, the root code
	// paths are read from and confined to.
	file, dir string
	// resources are the resources read, by address; order is the order
	// they were read in.
	resources map[string]*resource
	order     []*resource
	// byARN finds a layer resource by its known ARN; layersByName lists
	// the layers' addresses by their names without keys.
	byARN        map[string]*resource
	layersByName map[string][]string
	// config is the plan's configuration; nil for a state.
	config *tfjson.Config
}

// plan reads the resources of a plan: its planned_values, or its
// resource_changes' after values when it has none.
func (r *reader) plan(p *tfjson.Plan) error {
	r.config = p.Config
	unknown := map[string]map[string]any{}
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil || !wanted(rc.Mode, rc.Type) {
			continue
		}
		if u, ok := rc.Change.AfterUnknown.(map[string]any); ok {
			unknown[rc.Address] = u
		}
	}
	if p.PlannedValues != nil && p.PlannedValues.RootModule != nil {
		if err := r.module(p.PlannedValues.RootModule, "", 0); err != nil {
			return err
		}
	} else {
		for _, rc := range p.ResourceChanges {
			if rc == nil || rc.Change == nil || !wanted(rc.Mode, rc.Type) || rc.DeposedKey != "" || rc.Change.Actions.Delete() || rc.Change.Actions.Forget() {
				continue
			}
			after, _ := rc.Change.After.(map[string]any)
			if err := r.add(&resource{addr: rc.Address, module: rc.ModuleAddress, typ: rc.Type, name: rc.Name, values: after}); err != nil {
				return err
			}
		}
	}
	for _, res := range r.order {
		res.unknown = unknown[res.addr]
	}
	return nil
}

// state reads the resources of a state.
func (r *reader) state(s *tfjson.State) error {
	if s.Values == nil || s.Values.RootModule == nil {
		return nil
	}
	return r.module(s.Values.RootModule, "", 0)
}

// maxModuleDepth bounds how deep child_modules nest: Terraform refuses
// module calls nested deeper than its own limit long before this.
const maxModuleDepth = 100

// module reads a module's resources and its child modules'.
func (r *reader) module(m *tfjson.StateModule, addr string, depth int) error {
	if depth > maxModuleDepth {
		return fmt.Errorf("%s: modules nested more than %d deep", r.file, maxModuleDepth)
	}
	for _, sr := range m.Resources {
		if sr == nil || !wanted(sr.Mode, sr.Type) || sr.DeposedKey != "" {
			continue
		}
		if err := r.add(&resource{addr: sr.Address, module: addr, typ: sr.Type, name: sr.Name, values: sr.AttributeValues}); err != nil {
			return err
		}
	}
	for _, c := range m.ChildModules {
		if c == nil {
			continue
		}
		if err := r.module(c, c.Address, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// wanted reports whether a resource is a managed function or layer: a data
// source reads a function deployed elsewhere.
func wanted(mode tfjson.ResourceMode, typ string) bool {
	return mode != tfjson.DataResourceMode && (typ == functionType || typ == layerType)
}

func (r *reader) add(res *resource) error {
	if res.addr == "" {
		return fmt.Errorf("%s: a %s resource without an address", r.file, res.typ)
	}
	if _, dup := r.resources[res.addr]; dup {
		return fmt.Errorf("%s: resource %s appears twice", r.file, res.addr)
	}
	if res.values == nil {
		res.values = map[string]any{}
	}
	r.resources[res.addr] = res
	r.order = append(r.order, res)
	if res.typ == layerType {
		if arn := str(res.values["arn"]); arn != "" {
			r.byARN[arn] = res
		}
		if parts := parseTraversal(res.addr); parts != nil {
			n := names(parts)
			r.layersByName[n] = append(r.layersByName[n], res.addr)
		}
	}
	return nil
}

// str is v when it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs is the strings of a list, skipping what is not a string.
func strs(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// isUnknown reports whether after_unknown marks the value at path as known
// only at apply (wholly, or any part of it).
func isUnknown(u any, path ...any) bool {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := u.(map[string]any)
			if !ok {
				return u == true
			}
			u = m[k]
		case int:
			l, ok := u.([]any)
			if !ok {
				return u == true
			}
			if k < 0 || k >= len(l) {
				return false
			}
			u = l[k]
		}
	}
	return anyTrue(u, 0)
}

func anyTrue(u any, depth int) bool {
	if depth > maxModuleDepth {
		return false
	}
	switch u := u.(type) {
	case bool:
		return u
	case map[string]any:
		for _, v := range u {
			if anyTrue(v, depth+1) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(u, func(v any) bool { return anyTrue(v, depth+1) })
	}
	return false
}
