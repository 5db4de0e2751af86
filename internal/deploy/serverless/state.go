package serverless

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrRefCycle reports $ref pointers in serverless-state.json that lead back
// to themselves.
var ErrRefCycle = errors.New("$ref pointers form a cycle")

// ErrRefChain reports a chain of $ref pointers longer than maxRefHops.
var ErrRefChain = errors.New("$ref pointers chained too long")

// ErrRefTarget reports a $ref pointer that names nothing in the document.
var ErrRefTarget = errors.New("$ref points at nothing")

// maxRefHops bounds how many $ref pointers one lookup follows. The
// framework writes serverless-state.json with json-cycle's decycle, which
// replaces a repeated object by a pointer to its first occurrence: a pointer
// never points at another pointer, so a real file needs one hop per step.
const maxRefHops = 32

// state is serverless-state.json: {"service": ..., "package": ...}, with
// json-cycle pointers ({"$ref": "$[\"service\"][\"provider\"]"}) or JSON
// pointers ({"$ref": "#/service/provider"}) in place of repeated objects.
// Pointers are resolved only along the paths looked up, so a cycle in the
// file costs nothing unless a lookup walks it, and then it is an error.
type state struct {
	doc any
}

// parseState decodes serverless-state.json; ok is false when data is JSON
// but not the framework's shape (an object with "service" and "package").
func parseState(data []byte) (s *state, ok bool, err error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, false, err
	}
	top, isMap := doc.(map[string]any)
	if !isMap {
		return nil, false, nil
	}
	if _, has := top["service"]; !has {
		return nil, false, nil
	}
	if _, has := top["package"]; !has {
		return nil, false, nil
	}
	return &state{doc: doc}, true, nil
}

// get walks path (object keys, or list indexes as decimal strings) from the
// top of the document, resolving pointers on the way and at the end. A
// missing key gives nil, nil.
func (s *state) get(path ...string) (any, error) {
	hops := 0
	return s.walk(s.doc, path, &hops, nil)
}

// str is get for a string; anything else is "".
func (s *state) str(path ...string) (string, error) {
	v, err := s.get(path...)
	x, _ := v.(string)
	return x, err
}

func (s *state) walk(v any, path []string, hops *int, chain []string) (any, error) {
	var err error
	for _, seg := range path {
		if v, err = s.deref(v, hops, chain); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i, convErr := strconv.Atoi(seg)
			if convErr != nil || i < 0 || i >= len(x) {
				return nil, nil
			}
			v = x[i]
		default:
			return nil, nil
		}
	}
	return s.deref(v, hops, chain)
}

// deref follows v while it is a {"$ref": pointer} object. chain holds the
// pointers being resolved by the callers, to tell a cycle.
func (s *state) deref(v any, hops *int, chain []string) (any, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v, nil
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return v, nil
	}
	for _, c := range chain {
		if c == ref {
			return nil, fmt.Errorf("%w: %s", ErrRefCycle, strings.Join(append(chain, ref), " -> "))
		}
	}
	*hops++
	if *hops > maxRefHops {
		return nil, fmt.Errorf("%w: more than %d to follow, reaching %s", ErrRefChain, maxRefHops, ref)
	}
	path, err := parsePointer(ref)
	if err != nil {
		return nil, err
	}
	target, err := s.walkStrict(path, hops, append(chain, ref))
	if err != nil {
		return nil, err
	}
	return target, nil
}

// walkStrict is walk from the top for a pointer: every step must exist.
func (s *state) walkStrict(path []string, hops *int, chain []string) (any, error) {
	v := s.doc
	var err error
	for _, seg := range path {
		if v, err = s.deref(v, hops, chain); err != nil {
			return nil, err
		}
		found := false
		switch x := v.(type) {
		case map[string]any:
			v, found = x[seg]
		case []any:
			if i, convErr := strconv.Atoi(seg); convErr == nil && i >= 0 && i < len(x) {
				v, found = x[i], true
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %s", ErrRefTarget, chain[len(chain)-1])
		}
	}
	return s.deref(v, hops, chain)
}

// parsePointer reads a pointer in either form the framework's files carry:
// a JSON pointer ("#/service/provider", RFC 6901 escapes ~0 and ~1) or a
// json-cycle path ("$[\"service\"][\"layers\"][0]").
func parsePointer(ref string) ([]string, error) {
	switch {
	case ref == "#" || ref == "$":
		return nil, nil
	case strings.HasPrefix(ref, "#/"):
		segs := strings.Split(ref[2:], "/")
		for i, s := range segs {
			segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
		return segs, nil
	case strings.HasPrefix(ref, "$["):
		return parseCyclePath(ref[1:])
	}
	return nil, fmt.Errorf("$ref %q: neither a JSON pointer (#/...) nor a json-cycle path ($[...])", ref)
}

// parseCyclePath reads `["key"][0]["other"]`: JSON strings or integers in
// brackets.
func parseCyclePath(p string) ([]string, error) {
	var segs []string
	rest := p
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("$ref path %q: expected [ at %q", p, rest)
		}
		rest = rest[1:]
		if strings.HasPrefix(rest, `"`) {
			end := closingQuote(rest)
			if end < 0 {
				return nil, fmt.Errorf("$ref path %q: unterminated key", p)
			}
			var key string
			if err := json.Unmarshal([]byte(rest[:end+1]), &key); err != nil {
				return nil, fmt.Errorf("$ref path %q: %w", p, err)
			}
			segs = append(segs, key)
			rest = rest[end+1:]
		} else {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("$ref path %q: unterminated index", p)
			}
			if _, err := strconv.Atoi(rest[:end]); err != nil {
				return nil, fmt.Errorf("$ref path %q: index %q is not a number", p, rest[:end])
			}
			segs = append(segs, rest[:end])
			rest = rest[end:]
		}
		if !strings.HasPrefix(rest, "]") {
			return nil, fmt.Errorf("$ref path %q: expected ]", p)
		}
		rest = rest[1:]
	}
	return segs, nil
}

// closingQuote returns the index of the quote that ends the JSON string
// starting at s[0], or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// resolved returns v with every pointer inside it replaced by its target,
// to at most maxDepth levels: a cycle reached this way is nested without
// end, so it is refused as too deep. budget bounds the values copied, since
// pointers let a small file stand for a large tree.
func (s *state) resolved(v any, depth int, budget *int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	*budget--
	if *budget < 0 {
		return nil, errTooLarge
	}
	hops := 0
	v, err := s.deref(v, &hops, nil)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			if out[k], err = s.resolved(c, depth+1, budget); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			if out[i], err = s.resolved(c, depth+1, budget); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// maxDepth matches the nesting cfn accepts in a template.
const maxDepth = 100

// maxValues bounds the values a resolved subtree may hold: a 1 MB template
// (the largest CloudFormation accepts from S3) holds far fewer.
const maxValues = 1 << 18

var (
	errTooDeep  = errors.New("nested too deeply once $ref pointers are followed")
	errTooLarge = fmt.Errorf("more than %d values once $ref pointers are followed", maxValues)
)
