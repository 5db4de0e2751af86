package zipper

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
	"time"
)

func TestCRC32Combine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	want := crc32.ChecksumIEEE(data)
	for _, cut := range []int{0, 1, 1000, 1 << 20, len(data) - 1, len(data)} {
		a, b := data[:cut], data[cut:]
		got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		if got != want {
			t.Errorf("cut at %d: combined %08x, want %08x", cut, got, want)
		}
	}
}

func TestCheckEntries(t *testing.T) {
	tests := []struct {
		names []string
		ok    bool
	}{
		{[]string{"a", "a/b", "b"}, true},
		{[]string{"b", "a"}, false},
		{[]string{"a", "a"}, false},
		{[]string{"../x"}, false},
		{[]string{"/etc/passwd"}, false},
		{[]string{"a//b"}, false},
		{[]string{"a/./b"}, false},
		{[]string{`a\b`}, false},
		{[]string{"a\x00"}, false},
		{[]string{""}, false},
		{[]string{"a/"}, false},
	}
	for _, tt := range tests {
		var es []Entry
		for _, n := range tt.names {
			es = append(es, Entry{Name: n})
		}
		if err := CheckEntries(es); (err == nil) != tt.ok {
			t.Errorf("CheckEntries(%q) = %v, want ok=%v", tt.names, err, tt.ok)
		}
	}
}

func TestDOSTime(t *testing.T) {
	d, tm := dosTime(mustTime(t, "1970-01-01T00:00:00Z"))
	if d != 0x21 || tm != 0 {
		t.Errorf("epoch before 1980: %#x %#x, want 1980-01-01 (0x21 0)", d, tm)
	}
	d, tm = dosTime(mustTime(t, "2024-05-06T07:08:10Z"))
	if d != uint16(6+5<<5+44<<9) || tm != uint16(5+8<<5+7<<11) {
		t.Errorf("2024-05-06T07:08:10: %#x %#x", d, tm)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
