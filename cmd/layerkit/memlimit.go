package main

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// fallbackLimit is the soft memory limit when the machine's memory cannot
// be read (not Linux, no /proc).
const fallbackLimit = 2 << 30

// memoryLimit returns the soft memory limit layerkit runs under, and false
// when the user set GOMEMLIMIT (the Go runtime already applies it, "off"
// included). Otherwise it is half the memory the process may use: the
// cgroup's limit in a container, else the machine's MemTotal; or
// fallbackLimit when neither can be read.
//
// Why a limit: layerkit streams files, so its live heap is small, but
// crafted input makes one check allocate far more than usual (a 1 MB zip
// of ELF bombs reached 524 MB RSS, a verneed ELF 1.1 GB; hostile-cases D3
// and D6). Without a limit the GC lets the heap double before collecting,
// and a CI runner's container limit or the OOM killer ends the process. A
// soft limit makes the GC collect harder as the heap nears it; a run that
// truly needs more still gets it. Half, not all: CI runners commonly run a
// second job beside this one, and the OS needs page cache for the zips
// being read and written.
func memoryLimit(getenv func(string) string, readFile func(string) ([]byte, error)) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	avail := memTotal(readFile)
	// cgroup v2, then v1; v1 says "no limit" with a number near 2^63.
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := readFile(p)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && n > 0 && (avail == 0 || n < avail) {
			avail = n
		}
	}
	if avail == 0 {
		return fallbackLimit, true
	}
	return avail / 2, true
}

// memTotal reads MemTotal from /proc/meminfo, in bytes; 0 when unknown.
func memTotal(readFile func(string) ([]byte, error)) int64 {
	b, err := readFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// "MemTotal:       24684084 kB"
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb > 0 {
				return kb << 10
			}
		}
	}
	return 0
}
