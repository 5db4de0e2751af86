package slim

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		path, tag, want string
	}{
		{"python/lib/python3.12/site-packages/numpy/tests/test_x.py", "cpython-312", Tests},
		{"python/lib/python3.12/site-packages/numpy/core/tests/data/a.npy", "cpython-312", Tests},
		{"python/numpy/doc/ufuncs.py", "cpython-312", Docs},
		{"python/lib/python3.12/site-packages/scipy/examples/x.py", "cpython-312", Docs},
		{"nodejs/node_modules/sharp/docs/api.md", "", Docs},
		{"nodejs/node_modules/@scope/pkg/test/a.js", "", Tests},
		{"node_modules/lodash/test/x.js", "", Tests},
		{"numpy/tests/test_x.py", "cpython-312", Tests},                       // vendored in the function's code
		{"tests/test_app.py", "cpython-312", ""},                              // the project's own tests, at the root
		{"python/tests/conftest.py", "cpython-312", ""},                       // a package named tests
		{"python/lib/python3.12/site-packages/tests/x.py", "cpython-312", ""}, // likewise
		{"nodejs/node_modules/@scope/test/index.js", "", ""},                  // a package named test in a scope
		{"python/pkg/__pycache__/m.cpython-311.pyc", "cpython-312", Bytecode},
		{"python/pkg/__pycache__/m.cpython-312.pyc", "cpython-312", ""},
		{"python/pkg/old.pyc", "cpython-312", ""}, // maybe a sourceless module
		{"python/pkg/__pycache__/m.cpython-312.opt-1.pyc", "cpython-312", ""},
		{"python/pkg/__pycache__/m.cpython-310.opt-2.pyc", "cpython-312", Bytecode},
		{"pkg/__pycache__/m.cpython-311.pyc", "", ""}, // not a Python runtime: left alone
		{"python/lib/python3.12/site-packages/numpy-2.1.dist-info/tests/x", "cpython-312", ""},
		{"python/pkg/tests/py.typed", "cpython-312", ""},
		{"python/pkg/tests/stub.pyi", "cpython-312", ""},
		{"python/pkg/core.py", "cpython-312", ""},
	}
	for _, tt := range tests {
		got, ok := Classify(tt.path, tt.tag)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Classify(%q, %q) = %q, %v; want %q", tt.path, tt.tag, got, ok, tt.want)
		}
	}
}

func TestPyTag(t *testing.T) {
	for in, want := range map[string]string{"python3.12": "cpython-312", "python3.9": "cpython-39", "nodejs22.x": "", "provided.al2023": "", "": ""} {
		if got := PyTag(in); got != want {
			t.Errorf("PyTag(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestStub(t *testing.T) {
	for p, want := range map[string]bool{
		"python/pkg/py.typed":              true,
		"python/pkg/core.pyi":              true,
		"python/pkg/core.py":               false,
		"python/pkg-1.0.dist-info/x.pyi":   false,
		"python/pkg-1.0.egg-info/py.typed": false,
		"nodejs/node_modules/x/index.d.ts": false,
	} {
		if got := Stub(p); got != want {
			t.Errorf("Stub(%q) = %v, want %v", p, got, want)
		}
	}
}
