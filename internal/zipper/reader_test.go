package zipper

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type rawEntry struct {
	name   string
	mode   fs.FileMode
	body   string
	method uint16
	// usize and csize, when set, replace the true sizes in the headers.
	usize, csize uint64
}

// buildZip writes entries with archive/zip's raw API, so a test can make
// the zips a hostile tool would.
func buildZip(t *testing.T, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: e.method, CRC32: crc32.ChecksumIEEE([]byte(e.body))}
		h.SetMode(e.mode)
		h.UncompressedSize64, h.CompressedSize64 = uint64(len(e.body)), uint64(len(e.body))
		if e.usize != 0 {
			h.UncompressedSize64 = e.usize
		}
		if e.csize != 0 {
			h.CompressedSize64 = e.csize
		}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openBytes(t *testing.T, b []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func kinds(r *Reader) map[string]ProblemKind {
	m := map[string]ProblemKind{}
	for _, p := range r.Problems {
		m[p.Name] = p.Kind
	}
	return m
}

func TestReaderProblems(t *testing.T) {
	b := buildZip(t,
		rawEntry{name: "python/ok.py", mode: 0o644, body: "print(1)\n"},
		rawEntry{name: "../evil.py", mode: 0o644, body: "x"},
		rawEntry{name: "/etc/cron.d/x", mode: 0o644, body: "x"},
		rawEntry{name: "a\\..\\..\\b", mode: 0o644, body: "x"},
		rawEntry{name: "python/ok.py", mode: 0o644, body: "again"},
		rawEntry{name: "lib/passwd", mode: fs.ModeSymlink | 0o777, body: "/etc/passwd"},
		rawEntry{name: "lib/up", mode: fs.ModeSymlink | 0o777, body: "../../x"},
		rawEntry{name: "lib/fine", mode: fs.ModeSymlink | 0o777, body: "../python/ok.py"},
		rawEntry{name: "bomb.bin", mode: 0o644, body: "xx", method: zip.Deflate, usize: 1 << 40},
		rawEntry{name: "stored.bin", mode: 0o644, body: "abc", usize: 1 << 20},
		rawEntry{name: "odd.bin", mode: 0o644, body: "abc", method: 14},
	)
	r := openBytes(t, b)
	got := kinds(r)
	want := map[string]ProblemKind{
		"../evil.py":    ProblemUnsafePath,
		"/etc/cron.d/x": ProblemUnsafePath,
		"a\\..\\..\\b":  ProblemUnsafePath,
		"python/ok.py":  ProblemDuplicate,
		"lib/passwd":    ProblemSymlinkEscape,
		"lib/up":        ProblemSymlinkEscape,
		"bomb.bin":      ProblemSizeLie,
		"stored.bin":    ProblemSizeLie,
		"odd.bin":       ProblemUnsupported,
	}
	for name, k := range want {
		if got[name] != k {
			t.Errorf("problem for %s = %v, want %v", name, got[name], k)
		}
	}
	if _, ok := got["lib/fine"]; ok {
		t.Errorf("lib/fine flagged: %+v", r.Problems)
	}
	for _, e := range r.Entries {
		if e.Name == "lib/fine" && (e.Type != TypeSymlink || e.Link != "../python/ok.py") {
			t.Errorf("lib/fine = %+v", e)
		}
	}
	// A stored entry declaring 1 MiB of 3 bytes' data never yields more
	// than it holds.
	for i := range r.Entries {
		if e := &r.Entries[i]; e.Name == "stored.bin" {
			if _, err := r.ReadAll(e, 10<<20); err == nil {
				t.Error("ReadAll of a lying entry succeeded")
			}
			if _, err := r.ReadAll(e, 100); err == nil || !strings.Contains(err.Error(), "limit") {
				t.Errorf("ReadAll over the limit: %v", err)
			}
		}
	}
}

// TestReaderOverlap builds the trick of overlapping zip bombs by hand: two
// central directory records pointing at one local entry.
func TestReaderOverlap(t *testing.T) {
	body := []byte("hello, world")
	var b bytes.Buffer
	le := binary.LittleEndian
	local := make([]byte, 30)
	le.PutUint32(local, 0x04034b50)
	le.PutUint16(local[4:], 20)
	le.PutUint32(local[14:], crc32.ChecksumIEEE(body))
	le.PutUint32(local[18:], uint32(len(body)))
	le.PutUint32(local[22:], uint32(len(body)))
	le.PutUint16(local[26:], 1)
	b.Write(local)
	b.WriteString("a")
	b.Write(body)
	cdStart := b.Len()
	for _, name := range []string{"a", "b"} {
		c := make([]byte, 46)
		le.PutUint32(c, 0x02014b50)
		le.PutUint16(c[4:], 20)
		le.PutUint16(c[6:], 20)
		le.PutUint32(c[16:], crc32.ChecksumIEEE(body))
		le.PutUint32(c[20:], uint32(len(body)))
		le.PutUint32(c[24:], uint32(len(body)))
		le.PutUint16(c[28:], 1)
		b.Write(c)
		b.WriteString(name)
	}
	cdLen := b.Len() - cdStart
	eocd := make([]byte, 22)
	le.PutUint32(eocd, 0x06054b50)
	le.PutUint16(eocd[8:], 2)
	le.PutUint16(eocd[10:], 2)
	le.PutUint32(eocd[12:], uint32(cdLen))
	le.PutUint32(eocd[16:], uint32(cdStart))
	b.Write(eocd)
	r := openBytes(t, b.Bytes())
	if kinds(r)["b"] != ProblemOverlap && kinds(r)["a"] != ProblemOverlap {
		t.Fatalf("no overlap found: %+v", r.Problems)
	}
}

func TestReaderNotAZip(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{"empty.zip": nil, "text.zip": []byte("not a zip at all"), "cut.zip": buildZip(t, rawEntry{name: "a", body: "a"})[:40]} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, content, 0o644)
		_, err := OpenReader(p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("OpenReader(%s) = %v, want an error naming the file", name, err)
		}
	}
	if _, err := OpenReader(dir); err == nil {
		t.Error("OpenReader of a folder succeeded")
	}
}

// TestReaderReadsOurZips reads back a zip WriteFile made: names, types,
// modes, sizes, symlinks and content.
func TestReaderReadsOurZips(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "lib"), 0o755)
	os.WriteFile(filepath.Join(src, "lib", "libx.so.1"), bytes.Repeat([]byte("elf"), 50000), 0o755)
	os.Symlink("libx.so.1", filepath.Join(src, "lib", "libx.so"))
	root, err := os.OpenRoot(src)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	entries := []Entry{
		{Name: "lib", Type: TypeDir},
		{Name: "lib/libx.so", Type: TypeSymlink, Link: "libx.so.1"},
		{Name: "lib/libx.so.1", Exec: true, Size: 150000, Source: "lib/libx.so.1"},
	}
	dst := filepath.Join(t.TempDir(), "x.zip")
	if _, err := WriteFile(t.Context(), dst, root, entries, Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Problems) > 0 || len(r.Entries) != 3 {
		t.Fatalf("problems %+v, entries %+v", r.Problems, r.Entries)
	}
	e := r.Entries[2]
	if e.Name != "lib/libx.so.1" || !e.Exec || e.Size != 150000 || e.Type != TypeFile {
		t.Errorf("entry = %+v", e)
	}
	if r.Entries[1].Link != "libx.so.1" || r.Entries[0].Type != TypeDir {
		t.Errorf("entries = %+v", r.Entries[:2])
	}
	head, err := r.ReadHead(&r.Entries[2], 6)
	if err != nil || string(head) != "elfelf" {
		t.Errorf("ReadHead = %q, %v", head, err)
	}
	all, err := r.ReadAll(&r.Entries[2], 1<<20)
	if err != nil || len(all) != 150000 {
		t.Errorf("ReadAll = %d bytes, %v", len(all), err)
	}
}

func FuzzReader(f *testing.F) {
	var seed bytes.Buffer
	zw := zip.NewWriter(&seed)
	for _, name := range []string{"python/", "python/a.py", "lib/x.so"} {
		w, _ := zw.Create(name)
		w.Write([]byte(strings.Repeat(name, 40)))
	}
	h := &zip.FileHeader{Name: "lib/link"}
	h.SetMode(fs.ModeSymlink | 0o777)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("x.so"))
	zw.Close()
	f.Add(seed.Bytes())
	f.Add([]byte{})
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	body := bytes.Repeat([]byte("layerkit "), 300)
	short := deflated(f, "python/short.so", body)
	short.usize += 4096
	badcrc := stored("python/a.py", 0o644, body)
	badcrc.crc ^= 1
	mismatch := stored("python/good.py", 0o644, body)
	mismatch.local = "../../evil.py"
	f.Add(handZip(short, badcrc, mismatch, stored("python/x", 0o644, body), stored("python/x/y", 0o644, body),
		stored("python/l", fs.ModeSymlink|0o777, []byte("../..\x00/a"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for i := range r.Entries {
			e := &r.Entries[i]
			r.ReadHead(e, 64)
			all, err := r.ReadAll(e, 1<<16)
			if err == nil && int64(len(all)) != e.Size {
				t.Fatalf("ReadAll of %s gave %d bytes, %d declared", e.Name, len(all), e.Size)
			}
			if rc, err := r.Open(e); err == nil {
				n, _ := io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
				rc.Close()
				if n > e.Size {
					t.Fatalf("Open of %s yielded %d bytes, %d declared", e.Name, n, e.Size)
				}
			}
		}
	})
}

// TestReaderOverlapSpanning: one stored entry whose data holds two other
// entries that do not touch each other; each of them overlaps the first.
func TestReaderOverlapSpanning(t *testing.T) {
	le := binary.LittleEndian
	local := func(name string, body []byte) []byte {
		h := make([]byte, 30)
		le.PutUint32(h, 0x04034b50)
		le.PutUint16(h[4:], 20)
		le.PutUint32(h[14:], crc32.ChecksumIEEE(body))
		le.PutUint32(h[18:], uint32(len(body)))
		le.PutUint32(h[22:], uint32(len(body)))
		le.PutUint16(h[26:], uint16(len(name)))
		return append(append(h, name...), body...)
	}
	small := []byte("hello")
	pad := make([]byte, 64)
	inner := slices.Concat(local("b", small), pad, local("c", small), pad)
	var b bytes.Buffer
	b.Write(local("a", inner))
	offB := int64(31)
	offC := offB + int64(len(local("b", small))+len(pad))
	cdStart := b.Len()
	for _, e := range []struct {
		name string
		body []byte
		off  int64
	}{{"a", inner, 0}, {"b", small, offB}, {"c", small, offC}} {
		c := make([]byte, 46)
		le.PutUint32(c, 0x02014b50)
		le.PutUint16(c[4:], 20)
		le.PutUint16(c[6:], 20)
		le.PutUint32(c[16:], crc32.ChecksumIEEE(e.body))
		le.PutUint32(c[20:], uint32(len(e.body)))
		le.PutUint32(c[24:], uint32(len(e.body)))
		le.PutUint16(c[28:], uint16(len(e.name)))
		le.PutUint32(c[42:], uint32(e.off))
		b.Write(c)
		b.WriteString(e.name)
	}
	cdLen := b.Len() - cdStart
	eocd := make([]byte, 22)
	le.PutUint32(eocd, 0x06054b50)
	le.PutUint16(eocd[8:], 3)
	le.PutUint16(eocd[10:], 3)
	le.PutUint32(eocd[12:], uint32(cdLen))
	le.PutUint32(eocd[16:], uint32(cdStart))
	b.Write(eocd)
	r := openBytes(t, b.Bytes())
	if k := kinds(r); k["b"] != ProblemOverlap || k["c"] != ProblemOverlap {
		t.Fatalf("want b and c reported as overlapping a: %+v", r.Problems)
	}
}

// A zip64 locator that points past the end of the file is "not a readable
// zip file", as every other unreadable zip is, never a bare EOF.
func TestReaderZip64LocatorPastEnd(t *testing.T) {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0x07064b50) // zip64 end of central directory locator
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 1<<50)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 0x06054b50) // end of central directory
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	b = append(b, 0, 0)
	_, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err == nil || !strings.Contains(err.Error(), "not a readable zip file") {
		t.Errorf("NewReader = %v, want \"not a readable zip file\"", err)
	}
}
