package main

import (
	"io/fs"
	"os"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	meminfo := "MemTotal:       16777216 kB\nMemFree:         1000000 kB\n" // 16 GiB
	tests := []struct {
		name   string
		env    string
		files  map[string]string
		want   int64
		wantOK bool
	}{
		{"GOMEMLIMIT set", "3GiB", map[string]string{"/proc/meminfo": meminfo}, 0, false},
		{"machine", "", map[string]string{"/proc/meminfo": meminfo}, 8 * gib, true},
		{"cgroup v2 unlimited", "", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "max\n"}, 8 * gib, true},
		{"cgroup v2 limit", "", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "2147483648\n"}, 1 * gib, true},
		{"cgroup v1 unlimited", "", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 8 * gib, true},
		{"cgroup v1 limit", "", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "4294967296\n"}, 2 * gib, true},
		{"cgroup over the machine", "", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "68719476736\n"}, 8 * gib, true},
		{"nothing readable", "", nil, fallbackLimit, true},
	}
	for _, tt := range tests {
		getenv := func(k string) string {
			if k == "GOMEMLIMIT" {
				return tt.env
			}
			return ""
		}
		readFile := func(p string) ([]byte, error) {
			if s, ok := tt.files[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		}
		got, ok := memoryLimit(getenv, readFile)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: memoryLimit = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
	got, ok := memoryLimit(func(string) string { return "" }, os.ReadFile)
	t.Logf("on this machine: %d bytes (%.1f GiB), %v", got, float64(got)/gib, ok)
}
