package lint

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// sized makes an artifact of files with the given sizes (no content).
func sized(name string, kind layers.Kind, sizes map[string]int64) *Artifact {
	a := &Artifact{Name: name, Kind: kind}
	for _, p := range sortedKeys(sizes) {
		a.Files = append(a.Files, File{Path: p, Type: zipper.TypeFile, Size: sizes[p]})
		a.UnzippedBytes += sizes[p]
	}
	return a
}

const sp = "python/lib/python3.12/site-packages/"

// fitBundle is a python3.12 function over the limit with one file of every
// removable kind, sizes chosen so that every sum is exact.
func fitBundle() *Bundle {
	fn := sized("fn.zip", layers.KindFunction, map[string]int64{
		"app.py":               1_000,
		"requests/__init__.py": 2_000,  // shadows the layer's requests
		"boto3/__init__.py":    50_000, // the runtime has boto3
	})
	big := sized("big.zip", layers.KindLayer, map[string]int64{
		sp + "torch/lib/libtorch.so":               200_000_000,
		sp + "torch/tests/test_a.py":               5_000_000,
		sp + "torch/docs/x.html":                   1_000_000,
		sp + "torch/__pycache__/a.cpython-39.pyc":  500_000,
		sp + "torch/__pycache__/a.cpython-312.pyc": 400_000,
		"python/requests/__init__.py":              3_000,
		sp + "numpy/core/_multiarray_umath.so":     40_000_000, // overwritten by extra.zip's
		sp + "shared.bin":                          7_000_000,
	})
	for i := range big.Files {
		if strings.HasSuffix(big.Files[i].Path, "libtorch.so") {
			big.Files[i].ELF = &elfcheck.ELFInfo{DebugBytes: 30_000_000}
		}
	}
	extra := sized("extra.zip", layers.KindLayer, map[string]int64{
		sp + "scipy/data.bin":                  20_000_000,
		sp + "dup/shared.bin":                  7_000_000, // same content as big.zip's shared.bin
		sp + "other/same-size.bin":             7_000_000, // same size, other content
		sp + "numpy/core/_multiarray_umath.so": 40_000_000,
	})
	b := &Bundle{Name: "fn.zip", Function: "Stack/Fn", Target: layers.Target{Runtime: "python3.12", Arch: layers.ARM64}}
	b.AddFunction(fn)
	b.AddLayer(big)
	b.AddLayer(extra)
	return b
}

// fakeOpen gives every file content of its size: shared.bin files the
// same bytes, others bytes of their own.
func fakeOpen(a *Artifact, p string) (io.ReadCloser, error) {
	for _, f := range a.Files {
		if f.Path == p {
			c := byte(len(p))
			if strings.HasSuffix(p, "shared.bin") {
				c = 's'
			}
			return io.NopCloser(bytes.NewReader(bytes.Repeat([]byte{c}, int(f.Size)))), nil
		}
	}
	return nil, io.ErrUnexpectedEOF
}

func TestFitReport(t *testing.T) {
	fit, err := FitOf(fitBundle(), FitOptions{Open: fakeOpen})
	if err != nil {
		t.Fatal(err)
	}
	if fit == nil {
		t.Fatal("no fit report for a bundle over the limit")
	}
	const total = 327_956_000
	if fit.Limit != 262_144_000 || fit.Total != total || fit.Over != total-262_144_000+1 {
		t.Errorf("limit %d, total %d, over %d; want 262144000, %d, %d", fit.Limit, fit.Total, fit.Over, total, total-262_144_000+1)
	}
	want := []Saving{
		{Kind: "test suites", Bytes: 5_000_000, Files: 1, Largest: []Place{{"big.zip: " + sp + "torch/tests", 5_000_000}}, Counted: true},
		{Kind: "docs and examples", Bytes: 1_000_000, Files: 1, Largest: []Place{{"big.zip: " + sp + "torch/docs", 1_000_000}}, Counted: true},
		{Kind: "stale Python bytecode", Bytes: 500_000, Files: 1, Largest: []Place{{"big.zip: " + sp + "torch/__pycache__", 500_000}}, Counted: true},
		{Kind: "debug sections", Bytes: 30_000_000, Files: 1, Largest: []Place{{"big.zip: " + sp + "torch", 30_000_000}}, Counted: true},
		{Kind: SavingShadowed, Bytes: 40_003_000, Files: 2, Largest: []Place{{"big.zip: " + sp + "numpy", 40_000_000}, {"big.zip: python/requests", 3_000}}, Counted: true},
		{Kind: SavingDuplicate, Bytes: 7_000_000, Files: 1, Largest: []Place{{"extra.zip: " + sp + "dup/shared.bin", 7_000_000}}, Counted: true},
		{Kind: SavingProvided, Bytes: 50_000, Files: 1, Largest: []Place{{"fn.zip: boto3/__init__.py", 50_000}}, Counted: false},
	}
	if !reflect.DeepEqual(fit.Savings, want) {
		t.Errorf("savings:\n got %+v\nwant %+v", fit.Savings, want)
	}
	wantOpts := []struct {
		kind  string
		after int64
		fits  bool
		how   string
	}{
		{FitSlim, total - 36_500_000, false, "layerkit build --slim"},
		{FitImage, total, true, "10 GiB"},
		{FitEFS, total - 206_900_000, true, "move /opt/" + sp + "torch (197.3 MiB) to an EFS file system mounted at /mnt/deps"},
		{FitSplit, total - 206_900_000, true, "/opt/" + sp + "torch"},
	}
	if len(fit.Options) != len(wantOpts) {
		t.Fatalf("options %+v", fit.Options)
	}
	for i, w := range wantOpts {
		o := fit.Options[i]
		if o.Kind != w.kind || o.BytesAfter != w.after || o.Fits != w.fits || !strings.Contains(o.How, w.how) {
			t.Errorf("option %d = %+v; want %s, %d, fits %v, how with %q", i, o, w.kind, w.after, w.fits, w.how)
		}
	}
	if how := fit.Options[2].How; !strings.HasSuffix(how, "copy each below /mnt/deps as it sits below /opt or /var/task (/opt/"+sp+"torch to /mnt/deps/"+sp+"torch) and set PYTHONPATH=/mnt/deps/"+sp[:len(sp)-1]) {
		t.Errorf("efs: %s; want PYTHONPATH=/mnt/deps/python/lib/python3.12/site-packages", how)
	}
}

// TestFitReportOnlyNearTheLimit: below 90 % of the limit there is no
// report; at 90 % there is one, with nothing over.
func TestFitReportOnlyNearTheLimit(t *testing.T) {
	for _, tc := range []struct {
		size int64
		want bool
	}{{235_929_599, false}, {235_929_600, true}, {262_143_999, true}} {
		b := &Bundle{Name: "x", Target: layers.Target{Runtime: "python3.12"}}
		b.AddFunction(sized("x", layers.KindFunction, map[string]int64{"pkg/big.bin": tc.size}))
		fit, err := FitOf(b, FitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if (fit != nil) != tc.want {
			t.Errorf("%d bytes: fit report %v, want %v", tc.size, fit != nil, tc.want)
			continue
		}
		if fit != nil && (fit.Over != 0 || !fit.Options[0].Fits || fit.Options[2].How != "not needed: the package fits as it is") {
			t.Errorf("%d bytes: over %d, options %+v; want 0, slim fitting, efs not needed", tc.size, fit.Over, fit.Options)
		}
	}
}

// TestFitNodeSDK: @aws-sdk packages are a note on Node.js 18 and later,
// nothing on 16.
func TestFitNodeSDK(t *testing.T) {
	for rt, want := range map[string]int64{"nodejs20.x": 30_000_000, "nodejs16.x": 0} {
		b := &Bundle{Name: "x", Target: layers.Target{Runtime: rt}}
		b.AddFunction(sized("x", layers.KindFunction, map[string]int64{
			"node_modules/@aws-sdk/client-s3/dist/index.js": 30_000_000,
			"node_modules/sharp/build/sharp.node":           240_000_000,
		}))
		fit, err := FitOf(b, FitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		for _, s := range fit.Savings {
			if s.Kind == SavingProvided {
				got = s.Bytes
			}
		}
		if got != want {
			t.Errorf("%s: provided %d, want %d", rt, got, want)
		}
		if how := fit.Options[2].How; !strings.HasSuffix(how, "set NODE_PATH=/mnt/deps/node_modules") {
			t.Errorf("%s: efs %s", rt, how)
		}
	}
}

// TestFitDuplicatesBounded: with too small a budget for the 7,000,000-byte
// group, no identical files are found and nothing is read.
func TestFitDuplicatesBounded(t *testing.T) {
	opened := 0
	open := func(a *Artifact, p string) (io.ReadCloser, error) {
		opened++
		return fakeOpen(a, p)
	}
	fit, err := FitOf(fitBundle(), FitOptions{Open: open, MaxHashBytes: 20_999_999})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fit.Savings {
		if s.Kind == SavingDuplicate {
			t.Errorf("duplicates %+v past the budget", s)
		}
	}
	if opened != 0 {
		t.Errorf("%d files opened, want 0", opened)
	}
}
