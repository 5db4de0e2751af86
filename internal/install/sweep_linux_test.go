//go:build linux

package install_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/install"
)

// TestSweepLeftovers puts in a layer folder and in the staging folder what
// interrupted installs leave, beside look-alikes that layerkit did not
// make, and checks that Run removes exactly the former, tells about each,
// and keeps the staging folder's leftovers while another install holds it.
func TestSweepLeftovers(t *testing.T) {
	for _, tt := range []struct {
		name    string
		running bool // another install holds the staging folder
	}{
		{"alone", false},
		{"beside a running install", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := project(t, "anything\n", "python3.12-arm64")
			layer := filepath.Join(cfg.Dir, "layers", "python3.12-arm64")
			stage := install.StagingDir(cfg.Dir)
			mk := func(p string, dir bool) {
				t.Helper()
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if dir {
					err = os.MkdirAll(filepath.Join(p, "sub"), 0o755)
				} else {
					err = os.WriteFile(p, []byte("x"), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			leftInLayer := []string{".layerkit-install-2808537150", "python.layerkit-old", "nodejs.layerkit-old"}
			for _, n := range leftInLayer {
				mk(filepath.Join(layer, n), true)
			}
			mk(filepath.Join(stage, "python-123"), true)
			mk(filepath.Join(stage, "nodejs-456"), true)
			keepInLayer := []string{".layerkit-install-mine", "lib.layerkit-old", "python.layerkit-old.bak", ".layerkit-install-99"}
			for _, n := range keepInLayer[:3] {
				mk(filepath.Join(layer, n), true)
			}
			mk(filepath.Join(layer, keepInLayer[3]), false) // a file: layerkit only ever left folders
			mk(filepath.Join(stage, "notes"), true)
			mk(filepath.Join(stage, "python-x"), true)

			if tt.running {
				f, err := os.Open(stage)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			var got []string
			swept := func(p string, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("%s: %v", p, err)
				}
				got = append(got, p)
			}
			uv := fakeUV(t, `mkdir -p "$dest/pkg"`)
			jobs, err := install.Plan(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r := install.Run(t.Context(), jobs, install.Options{UV: uv, Swept: swept})[0]; r.Err != nil {
				t.Fatalf("%v\n%s", r.Err, r.Output)
			}

			var want []string
			for _, n := range leftInLayer {
				want = append(want, filepath.Join(layer, n))
			}
			if !tt.running {
				want = append(want, filepath.Join(stage, "python-123"), filepath.Join(stage, "nodejs-456"))
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("swept\n%q\nwant\n%q", got, want)
			}
			if got, want := names(t, layer), append([]string{"python"}, keepInLayer...); !sameSet(got, want) {
				t.Errorf("layer folder holds %q, want %q", got, want)
			}
			wantStage := []string{"notes", "python-x"}
			if tt.running {
				wantStage = append(wantStage, "nodejs-456", "python-123")
			}
			if got := names(t, stage); !sameSet(got, wantStage) {
				t.Errorf("staging folder holds %q, want %q", got, wantStage)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}
