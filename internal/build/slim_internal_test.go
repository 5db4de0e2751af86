package build

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
)

// An object whose stripped form fails the check is packaged whole, and a
// warning names it; when the check passes, the same object is stripped.
func TestSlimKeepsObjectFailingVerify(t *testing.T) {
	dir := t.TempDir()
	lib, err := os.ReadFile(filepath.Join("..", "elfcheck", "testdata", "libdbg-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bad.so", "good.so"} {
		if err := os.WriteFile(filepath.Join(dir, name), lib, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fail := true
	verifyStrip = func(orig io.ReaderAt, origSize int64, stripped io.ReaderAt, size int64) error {
		if fail {
			return fmt.Errorf("%w: a loaded byte differs (test)", elfcheck.ErrStripChanged)
		}
		return elfcheck.VerifyStrip(orig, origSize, stripped, size)
	}
	t.Cleanup(func() { verifyStrip = elfcheck.VerifyStrip })

	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := split.PlanBuild(t.Context(), c, filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	a := &plan.Artifacts[0]
	a.Entries = onlyFiles(a.Entries, "bad.so")
	s, err := slimArtifact(t.Context(), a, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.warnings) != 1 || !strings.Contains(s.warnings[0], "kept bad.so unstripped") || !strings.Contains(s.warnings[0], "differs") {
		t.Errorf("warnings = %q; want one naming bad.so", s.warnings)
	}
	if a.Entries[0].Content != nil || a.Entries[0].Size != int64(len(lib)) || s.record.Bytes != 0 {
		t.Errorf("bad.so was replaced: size %d, record %+v", a.Entries[0].Size, s.record)
	}

	fail = false
	plan, _ = split.PlanBuild(t.Context(), c, filepath.Join(t.TempDir(), "out"))
	a = &plan.Artifacts[0]
	a.Entries = onlyFiles(a.Entries, "good.so")
	s2, err := slimArtifact(t.Context(), a, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if len(s2.warnings) != 0 || a.Entries[0].Content == nil || a.Entries[0].Size >= int64(len(lib)) {
		t.Fatalf("good.so not stripped: warnings %q, size %d", s2.warnings, a.Entries[0].Size)
	}
	r, closer, err := a.Entries[0].Content()
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	got := make([]byte, a.Entries[0].Size)
	if _, err := r.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, lib) {
		t.Error("good.so's content is the original")
	}
}

func onlyFiles(entries []zipper.Entry, name string) []zipper.Entry {
	for _, e := range entries {
		if e.Name == name {
			return []zipper.Entry{e}
		}
	}
	return nil
}
