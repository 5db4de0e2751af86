package zipper

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
)

// handEntry is one entry of a zip written byte by byte, so that each header
// field can lie on its own.
type handEntry struct {
	name, local string // central and local names; local defaults to name
	mode        fs.FileMode
	method      uint16
	data        []byte // as stored: already compressed for deflate
	crc         uint32
	csize       uint64
	usize       uint64
}

// deflated returns a handEntry for body, compressed and with honest sizes
// and CRC-32.
func deflated(t testing.TB, name string, body []byte) handEntry {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, 9)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	w.Close()
	return handEntry{name: name, mode: 0o644, method: zip.Deflate, data: b.Bytes(),
		crc: crc32.ChecksumIEEE(body), csize: uint64(b.Len()), usize: uint64(len(body))}
}

func stored(name string, mode fs.FileMode, body []byte) handEntry {
	return handEntry{name: name, mode: mode, data: body, crc: crc32.ChecksumIEEE(body),
		csize: uint64(len(body)), usize: uint64(len(body))}
}

func handZip(entries ...handEntry) []byte {
	le := binary.LittleEndian
	var b, cd bytes.Buffer
	for _, e := range entries {
		local := e.local
		if local == "" {
			local = e.name
		}
		off := b.Len()
		h := make([]byte, 30)
		le.PutUint32(h, 0x04034b50)
		le.PutUint16(h[4:], 20)
		le.PutUint16(h[8:], e.method)
		le.PutUint32(h[14:], e.crc)
		le.PutUint32(h[18:], uint32(e.csize))
		le.PutUint32(h[22:], uint32(e.usize))
		le.PutUint16(h[26:], uint16(len(local)))
		b.Write(h)
		b.WriteString(local)
		b.Write(e.data)
		c := make([]byte, 46)
		le.PutUint32(c, 0x02014b50)
		le.PutUint16(c[4:], 3<<8|20)
		le.PutUint16(c[6:], 20)
		le.PutUint16(c[10:], e.method)
		le.PutUint32(c[16:], e.crc)
		le.PutUint32(c[20:], uint32(e.csize))
		le.PutUint32(c[24:], uint32(e.usize))
		le.PutUint16(c[28:], uint16(len(e.name)))
		mode := uint32(0o100000) | uint32(e.mode.Perm())
		if e.mode&fs.ModeSymlink != 0 {
			mode = 0o120000 | uint32(e.mode.Perm())
		}
		le.PutUint32(c[38:], mode<<16)
		le.PutUint32(c[42:], uint32(off))
		cd.Write(c)
		cd.WriteString(e.name)
	}
	cdStart := b.Len()
	b.Write(cd.Bytes())
	eocd := make([]byte, 22)
	le.PutUint32(eocd, 0x06054b50)
	le.PutUint16(eocd[8:], uint16(len(entries)))
	le.PutUint16(eocd[10:], uint16(len(entries)))
	le.PutUint32(eocd[12:], uint32(cd.Len()))
	le.PutUint32(eocd[16:], uint32(cdStart))
	b.Write(eocd)
	return b.Bytes()
}

func entry(t *testing.T, r *Reader, name string) *ReadEntry {
	t.Helper()
	for i := range r.Entries {
		if r.Entries[i].Name == name {
			return &r.Entries[i]
		}
	}
	t.Fatalf("no entry %s", name)
	return nil
}

// TestOpenVerifies reads entries whose headers lie about their content
// through Open and ReadAll: each lie gives its own sentinel, and an honest
// entry reads back whole.
func TestOpenVerifies(t *testing.T) {
	body := bytes.Repeat([]byte("layerkit "), 5000)
	honest := deflated(t, "honest", body)
	long := deflated(t, "long", body) // declares fewer bytes than it holds
	long.usize -= 100
	short := deflated(t, "short", body) // declares more bytes than it holds
	short.usize += 4096
	badcrc := deflated(t, "badcrc", body)
	badcrc.crc ^= 1
	corrupt := deflated(t, "corrupt", body)
	corrupt.data = bytes.Clone(corrupt.data)
	for i := 10; i < 30; i++ {
		corrupt.data[i] ^= 0xff
	}
	truncated := deflated(t, "truncated", body)
	truncated.data = truncated.data[:len(truncated.data)/2]
	truncated.csize = uint64(len(truncated.data))
	storedCRC := stored("stored-badcrc", 0o644, []byte("print(1)\n"))
	storedCRC.crc = 0x1234
	r := openBytes(t, handZip(honest, long, short, badcrc, corrupt, truncated, storedCRC))
	tests := []struct {
		name string
		want error
	}{
		{"honest", nil},
		{"long", ErrSizeMismatch},
		{"short", ErrSizeMismatch},
		{"badcrc", ErrChecksum},
		{"corrupt", ErrCorrupt},
		{"truncated", ErrCorrupt},
		{"stored-badcrc", ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entry(t, r, tt.name)
			rc, err := r.Open(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if int64(len(got)) > e.Size {
				t.Errorf("Open yielded %d bytes, more than the %d declared", len(got), e.Size)
			}
			if tt.want == nil {
				if err != nil || !bytes.Equal(got, body) {
					t.Errorf("read %d bytes, %v; want the body", len(got), err)
				}
			} else if !errors.Is(err, tt.want) {
				t.Errorf("Open then read: %v, want %v", err, tt.want)
			}
			all, err := r.ReadAll(e, 1<<20)
			if tt.want == nil {
				if err != nil || !bytes.Equal(all, body) {
					t.Errorf("ReadAll = %d bytes, %v", len(all), err)
				}
			} else if !errors.Is(err, tt.want) || all != nil {
				t.Errorf("ReadAll = %d bytes, %v; want %v", len(all), err, tt.want)
			}
		})
	}
}

// TestReadHeadShortEntry: an entry declaring more bytes than it holds still
// shows its head, as unzip and Python extract it, so an ELF object in it
// is identified and inspected.
func TestReadHeadShortEntry(t *testing.T) {
	body := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 400)...)
	e := deflated(t, "python/x.so", body)
	e.usize += 4096
	r := openBytes(t, handZip(e))
	head, err := r.ReadHead(&r.Entries[0], 1024)
	if err != nil || !bytes.Equal(head, body) {
		t.Fatalf("ReadHead = %d bytes %q…, %v; want the %d bytes held", len(head), head[:min(len(head), 4)], err, len(body))
	}
}

// TestReadAllMemory: an entry declaring 262,000,000 bytes and holding
// 300 KB costs memory for what it holds, not for what it declares.
func TestReadAllMemory(t *testing.T) {
	body := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 300_000)...)
	e := deflated(t, "python/x.so", body)
	e.usize = 262_000_000
	r := openBytes(t, handZip(e))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := r.ReadAll(&r.Entries[0], 262_144_000)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrSizeMismatch) {
		t.Errorf("ReadAll: %v, want ErrSizeMismatch", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("ReadAll allocated %d bytes for %d bytes of content", got, len(body))
	}
}

// TestReaderIntegrityProblems: lies found when the zip is opened, before
// anything is inflated (hostile-cases D13b and D9).
func TestReaderIntegrityProblems(t *testing.T) {
	fat := deflated(t, "python/fat.bin", []byte("tiny"))
	fat.data = append(bytes.Clone(fat.data), make([]byte, 1000)...)
	fat.csize = uint64(len(fat.data))
	mismatch := stored("python/good.py", 0o644, []byte("x=1\n"))
	mismatch.local = "../../evil.py"
	b := handZip(
		stored("python/ok.py", 0o644, []byte("x=1\n")),
		fat,
		mismatch,
		stored("python/x", 0o644, []byte("file")),
		stored("python/x/y", 0o644, []byte("file under a file")),
		stored("python/l", fs.ModeSymlink|0o777, []byte("../..\x00/a")),
		stored("python/esc", fs.ModeSymlink|0o777, []byte("a\x1b[2Kb")),
		stored("python/fine", fs.ModeSymlink|0o777, []byte("ok.py")),
	)
	r := openBytes(t, b)
	got := kinds(r)
	want := map[string]ProblemKind{
		"python/fat.bin": ProblemSizeLie,
		"python/good.py": ProblemUnsafePath,
		"python/x":       ProblemDuplicate,
		"python/l":       ProblemSymlinkEscape,
		"python/esc":     ProblemSymlinkEscape,
	}
	for name, k := range want {
		if got[name] != k {
			t.Errorf("problem for %s = %v, want %v", name, got[name], k)
		}
	}
	for _, name := range []string{"python/ok.py", "python/fine", "python/x/y"} {
		if k, ok := got[name]; ok {
			t.Errorf("%s flagged as %v: %+v", name, k, r.Problems)
		}
	}
	if len(r.Problems) != len(want) {
		t.Errorf("%d problems, want %d: %+v", len(r.Problems), len(want), r.Problems)
	}
}

// TestReaderLocalNameMismatch guards localHeaderOffset, which reads a field
// archive/zip does not export.
func TestReaderLocalNameMismatch(t *testing.T) {
	e := stored("python/good.py", 0o644, []byte("x=1\n"))
	e.local = "python/evil.py" // same length: only the bytes differ
	r := openBytes(t, handZip(e))
	if len(r.Problems) != 1 || r.Problems[0].Kind != ProblemUnsafePath || !strings.Contains(r.Problems[0].Detail, "python/evil.py") {
		t.Fatalf("problems %+v, want the local name reported", r.Problems)
	}
	if _, ok := localHeaderOffset(r.Entries[0].f); !ok {
		t.Fatal("archive/zip no longer has headerOffset")
	}
}

func TestMaxDeflated(t *testing.T) {
	// Real encoders at their worst: random bytes, which no level shrinks.
	for _, n := range []int{0, 1, 100, 65535, 65536, 1 << 20} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i*7919 + i>>3*31)
		}
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly} {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, level)
			w.Write(body)
			w.Close()
			if uint64(b.Len()) > maxDeflated(uint64(n)) {
				t.Errorf("level %d: %d bytes deflate to %d, over the bound %d", level, n, b.Len(), maxDeflated(uint64(n)))
			}
		}
	}
}
