package cachedir

import (
	"path/filepath"
	"testing"
)

func TestDefault(t *testing.T) {
	t.Setenv("LAYERKIT_CACHE_DIR", "/x/y")
	if got, _ := Default(); got != "/x/y" {
		t.Fatalf("got %q", got)
	}
	t.Setenv("LAYERKIT_CACHE_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/c")
	t.Setenv("HOME", "/h")
	if got, _ := Default(); got != filepath.Join("/c", "layerkit") {
		t.Fatalf("got %q", got)
	}
}

func TestMax(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"", DefaultMax, false},
		{"1048576", 1 << 20, false},
		{"2G", 2 << 30, false},
		{"500MiB", 500 << 20, false},
		{"64kb", 64 << 10, false},
		{"0", 0, false},
		{"-1", 0, true},
		{"lots", 0, true},
		{"9999999999T", 0, true},
	} {
		t.Setenv("LAYERKIT_CACHE_MAX", c.in)
		got, err := Max()
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%q: got %d, %v; want %d (error %t)", c.in, got, err, c.want, c.bad)
		}
	}
}
