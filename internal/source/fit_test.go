package source

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/slim"
	"github.com/layerkit/layerkit/layers"
)

// TestFitReportRealLayers: PyPI's arm64 wheels and the python-arm64 layer
// (bench/fetch-layers.sh), attached as two layers of one python3.12
// function, are over the limit; the fit report's numbers agree with the
// LK160 finding and with each other. It skips without the layers.
func TestFitReportRealLayers(t *testing.T) {
	dir := os.Getenv("LAYERKIT_BENCH_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench", "data")
	}
	pypi, py := filepath.Join(dir, "pypi-arm64"), filepath.Join(dir, "python-arm64")
	for _, p := range []string{pypi, py} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("no layer at %s (run bench/fetch-layers.sh, or set LAYERKIT_BENCH_DATA)", p)
		}
	}
	res, err := Run(t.Context(), Request{Layers: []string{pypi, py}, Runtime: "python3.12", Arch: layers.ARM64})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fits) != 1 {
		t.Fatalf("%d fit reports, want 1", len(res.Fits))
	}
	fit := res.Fits[0]
	var lk160 string
	for _, f := range res.Findings {
		if f.Rule == lint.RuleSizeUnzipped {
			lk160 = f.Evidence
		}
	}
	if !strings.HasPrefix(lk160, strconv.FormatInt(fit.Total, 10)+" >= ") {
		t.Errorf("fit total %d; LK160 says %q", fit.Total, lk160)
	}
	if fit.Over != fit.Total-layers.MaxUnzippedBytes+1 || fit.Over <= 0 {
		t.Errorf("over %d for total %d", fit.Over, fit.Total)
	}
	by := map[string]lint.Saving{}
	for _, s := range fit.Savings {
		by[s.Kind] = s
		t.Logf("%-32s %11d bytes %5d files", s.Kind, s.Bytes, s.Files)
	}
	for _, k := range []string{slim.Tests, slim.Debug, lint.SavingShadowed, lint.SavingDuplicate} {
		if by[k].Bytes <= 0 {
			t.Errorf("no %s in two layers of numpy, scipy and pandas", k)
		}
	}
	slimmed := fit.Total - by[slim.Tests].Bytes - by[slim.Docs].Bytes - by[slim.Bytecode].Bytes - by[slim.Debug].Bytes
	want := map[string]bool{lint.FitSlim: slimmed < layers.MaxUnzippedBytes, lint.FitImage: true, lint.FitEFS: true, lint.FitSplit: true}
	for _, o := range fit.Options {
		t.Logf("%-6s %11d fits=%v %s", o.Kind, o.BytesAfter, o.Fits, o.How)
		if o.Fits != want[o.Kind] {
			t.Errorf("%s fits %v, want %v", o.Kind, o.Fits, want[o.Kind])
		}
		if o.Kind == lint.FitSlim && o.BytesAfter != slimmed {
			t.Errorf("slim leaves %d, want %d", o.BytesAfter, slimmed)
		}
	}
	t.Logf("total %d, over %d", fit.Total, fit.Over)
}
