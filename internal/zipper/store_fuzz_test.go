package zipper

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzStorePack feeds OpenStore any pack file, seeded with a real one: it
// must never panic, and every file it accepts must lie inside the pack's
// data, before its index.
func FuzzStorePack(f *testing.F) {
	dir := f.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		f.Fatal(err)
	}
	pw := st.newPack()
	for i, data := range []string{"compressed bytes", "", "more"} {
		pw.begin()
		pw.write([]byte(data))
		pw.end(Key{byte(i)}, int64(2*len(data)), uint32(i), methodDeflate)
	}
	if err := pw.commit(); err != nil {
		f.Fatal(err)
	}
	st.Close()
	packs, _ := filepath.Glob(filepath.Join(dir, "*"+packExt))
	good, err := os.ReadFile(packs[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte(packMagic + packEndMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x"+packExt), b, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := OpenStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for k, bl := range st.index {
			if bl.off < int64(len(packMagic)) || bl.csize < 0 || bl.off+bl.csize > int64(len(b))-trailerLen {
				t.Fatalf("%s: accepted a file outside the pack's data: %+v", k, bl)
			}
			buf := make([]byte, 4096)
			st.verify(bl, buf) // must not panic, whatever it finds
		}
	})
}
