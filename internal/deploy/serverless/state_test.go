package serverless

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
)

func TestParsePointer(t *testing.T) {
	tests := []struct {
		ref     string
		want    []string
		wantErr bool
	}{
		{`#`, nil, false},
		{`#/service/provider`, []string{"service", "provider"}, false},
		{`#/a~1b/c~0d/0`, []string{"a/b", "c~d", "0"}, false},
		{`$["service"]["functions"]`, []string{"service", "functions"}, false},
		{`$["service"]["provider"]["layers"][0]`, []string{"service", "provider", "layers", "0"}, false},
		{`$["a\"]b"]["c\\"]`, []string{`a"]b`, `c\`}, false},
		{`$["service"`, nil, true},
		{`$["service"]x`, nil, true},
		{`$[x]`, nil, true},
		{`$[0`, nil, true},
		{`service`, nil, true},
	}
	for _, tt := range tests {
		got, err := parsePointer(tt.ref)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePointer(%q) = %q, %v; want %q, error %v", tt.ref, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestStateGet(t *testing.T) {
	st, ok, err := parseState([]byte(`{
		"service": {"provider": {"stage": "dev", "layers": [{"Ref": "L"}]}, "functions": {"f": {"layers": {"$ref": "$[\"service\"][\"provider\"][\"layers\"]"}}}},
		"package": {"p": {"$ref": "#/service/provider"}},
		"self": {"x": {"$ref": "#/self"}}
	}`))
	if err != nil || !ok {
		t.Fatalf("parseState: %v, %v", ok, err)
	}
	if got, err := st.str("package", "p", "stage"); got != "dev" || err != nil {
		t.Errorf("through a JSON pointer: %q, %v; want dev", got, err)
	}
	got, err := st.get("service", "functions", "f", "layers", "0", "Ref")
	if got != "L" || err != nil {
		t.Errorf("through a json-cycle path: %v, %v; want L", got, err)
	}
	if got, err := st.get("service", "nothing", "here"); got != nil || err != nil {
		t.Errorf("a missing key: %v, %v; want nil, nil", got, err)
	}
	// A structure that contains itself is fine to walk a finite way into...
	if got, err := st.get("self", "x", "x", "x"); err != nil || got == nil {
		t.Errorf("walking a self-containing object: %v, %v", got, err)
	}
	// ...and refused when copied whole.
	self, _ := st.get("self")
	budget := maxValues
	if _, err := st.resolved(self, 0, &budget); !errors.Is(err, errTooDeep) {
		t.Errorf("resolving a self-containing object: %v; want %v", err, errTooDeep)
	}
}

// TestStateWide checks that pointers cannot make a small file stand for a
// tree too large to copy: each level points twice at the one below.
func TestStateWide(t *testing.T) {
	doc := `{"service": {}, "package": {}, "l0": 1`
	for i := 1; i <= 40; i++ {
		doc += `, "l` + strconv.Itoa(i) + `": [{"$ref": "#/l` + strconv.Itoa(i-1) + `"}, {"$ref": "#/l` + strconv.Itoa(i-1) + `"}]`
	}
	doc += `}`
	st, ok, err := parseState([]byte(doc))
	if err != nil || !ok {
		t.Fatalf("parseState: %v, %v", ok, err)
	}
	top, _ := st.get("l40")
	budget := maxValues
	if _, err := st.resolved(top, 0, &budget); !errors.Is(err, errTooLarge) {
		t.Errorf("resolving 2^40 values: %v; want %v", err, errTooLarge)
	}
}
