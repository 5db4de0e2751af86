package lint

import (
	"slices"
	"strings"
	"testing"
)

const (
	machO = "\xcf\xfa\xed\xfe\x0c\x00\x00\x01" + "\x00\x00\x00\x00\x06\x00\x00\x00" + "padding to a real header size......"
	pe    = "MZ\x90\x00"
)

// Binaries that a loader picks by platform are judged by what it picks on
// Lambda; the rest are dead weight, never errors.
func TestPlatformSelectedBinaries(t *testing.T) {
	bufferutil := func(extra map[string]string) map[string]string {
		files := map[string]string{
			"nodejs/node_modules/bufferutil/index.js":                                     "module.exports = require('node-gyp-build')(__dirname)\n",
			"nodejs/node_modules/bufferutil/prebuilds/linux-x64/bufferutil.node":          "@libanswer-x86_64.so",
			"nodejs/node_modules/bufferutil/prebuilds/darwin-x64+arm64/bufferutil.node":   machO,
			"nodejs/node_modules/bufferutil/prebuilds/win32-x64/bufferutil.node":          pe,
			"nodejs/node_modules/bufferutil/prebuilds/android-arm/bufferutil.node":        "@libanswer-i386.so",
			"nodejs/node_modules/bufferutil/prebuilds/linux-arm64/bufferutil.musl.node":   "@libanswer-x86_64.so",
			"nodejs/node_modules/bufferutil/build/Release/obj.target/bufferutil/src/bu.o": "@libanswer-x86_64.so",
			"nodejs/node_modules/bufferutil/build/Release/.deps/x.o.d":                    "x",
		}
		for k, v := range extra {
			files[k] = v
		}
		return files
	}
	tests := []struct {
		name   string
		target string
		files  map[string]string
		want   []string // rule, path and severity of errors and warnings other than dead weight
		weight string   // the dead-weight kinds reported
	}{
		{"the target's prebuild is there", "nodejs22.x-arm64",
			bufferutil(map[string]string{"nodejs/node_modules/bufferutil/prebuilds/linux-arm64/bufferutil.node": "@libanswer-arm64.so"}),
			nil, "binaries for other platforms,build intermediates"},
		{"none for the target", "nodejs22.x-arm64", bufferutil(nil),
			[]string{"LK141 nodejs/node_modules/bufferutil/prebuilds/ error"}, "binaries for other platforms,build intermediates"},
		{"none for the target, with a JavaScript fallback", "nodejs22.x-arm64",
			bufferutil(map[string]string{"nodejs/node_modules/bufferutil/fallback.js": "x"}),
			[]string{"LK141 nodejs/node_modules/bufferutil/prebuilds/ warning"}, "binaries for other platforms,build intermediates"},
		{"none for the target, but a compiled one", "nodejs22.x-arm64",
			bufferutil(map[string]string{"nodejs/node_modules/bufferutil/build/Release/bufferutil.node": "@libanswer-arm64.so"}),
			nil, "binaries for other platforms,build intermediates"},
		{"a compiled one for the wrong CPU is still loaded", "nodejs22.x-arm64",
			bufferutil(map[string]string{"nodejs/node_modules/bufferutil/build/Release/bufferutil.node": "@libanswer-x86_64.so"}),
			[]string{"LK101 nodejs/node_modules/bufferutil/build/Release/bufferutil.node error"}, "binaries for other platforms,build intermediates"},
		{"per-OS folders beside linux/", "python3.12-x86_64", map[string]string{
			"python/selenium/webdriver/common/linux/selenium-manager":       "@hello-x86_64",
			"python/selenium/webdriver/common/macos/selenium-manager":       machO,
			"python/selenium/webdriver/common/windows/selenium-manager.exe": pe,
		}, nil, "binaries for other platforms"},
		{"linux/ is what runs, and it is for another CPU", "python3.12-arm64", map[string]string{
			"python/selenium/webdriver/common/linux/selenium-manager": "@hello-x86_64",
			"python/selenium/webdriver/common/macos/selenium-manager": machO,
		}, []string{"LK101 python/selenium/webdriver/common/linux/selenium-manager error"}, "binaries for other platforms"},
		{"node-pre-gyp bindings", "nodejs22.x-arm64", map[string]string{
			"nodejs/node_modules/sq/lib/binding/node-v127-linux-arm64/sq.node": "@libanswer-arm64.so",
			"nodejs/node_modules/sq/lib/binding/node-v127-linux-x64/sq.node":   "@libanswer-x86_64.so",
		}, nil, "binaries for other platforms"},
		{"x86_64 spelled out, beside arm64", "python3.12-x86_64", map[string]string{
			"python/selenium/bin/linux-x86_64/selenium-manager":  "@hello-x86_64",
			"python/selenium/bin/linux-aarch64/selenium-manager": "@hello-arm64",
			"python/selenium/bin/macos/selenium-manager":         machO,
		}, nil, "binaries for other platforms"},
		{"flat prebuilds, named by platform", "nodejs22.x-arm64", map[string]string{
			"nodejs/node_modules/b3/prebuilds/linux-arm64.node":     "@libanswer-arm64.so",
			"nodejs/node_modules/b3/prebuilds/linux-x64.node":       "@libanswer-x86_64.so",
			"nodejs/node_modules/b3/prebuilds/linuxmusl-arm64.node": "@libanswer-arm64.so",
			"nodejs/node_modules/b3/prebuilds/darwin-arm64.node":    machO,
		}, nil, "binaries for other platforms"},
		{"addons named by platform, libc and ABI", "nodejs22.x-x86_64", map[string]string{
			"nodejs/node_modules/p/lib/prof-linux-x64-glibc-127.node":   "@libanswer-x86_64.so",
			"nodejs/node_modules/p/lib/prof-linux-x64-glibc-115.node":   "@libanswer-x86_64.so",
			"nodejs/node_modules/p/lib/prof-linux-x64-musl-127.node":    "@libanswer-x86_64.so",
			"nodejs/node_modules/p/lib/prof-linux-arm64-glibc-127.node": "@libanswer-arm64.so",
			"nodejs/node_modules/p/lib/prof-darwin-x64-127.node":        machO,
		}, nil, "binaries for other platforms"},
		{"per-libc and per-ABI folders", "nodejs22.x-arm64", map[string]string{
			"nodejs/node_modules/zmq/build/linux/arm64/node/glibc-127-Release/addon.node": "@libanswer-arm64.so",
			"nodejs/node_modules/zmq/build/linux/arm64/node/musl-127-Release/addon.node":  "@libanswer-arm64.so",
			"nodejs/node_modules/zmq/build/linux/arm64/node/glibc-115-Release/addon.node": "@libanswer-arm64.so",
			"nodejs/node_modules/zmq/build/linux/x64/node/glibc-127-Release/addon.node":   "@libanswer-x86_64.so",
		}, nil, "binaries for other platforms"},
		{"Bare addons are no Node prebuilds", "nodejs22.x-arm64", map[string]string{
			"nodejs/node_modules/bare-type/prebuilds/linux-x64/bare-type.bare": "@libanswer-x86_64.so",
			"nodejs/node_modules/bare-type/index.js":                           "x",
		}, nil, "binaries for other platforms"},
		{"built at install, and never built", "nodejs22.x-arm64", map[string]string{
			"nodejs/node_modules/canvas/binding.gyp": "{}",
			"nodejs/node_modules/canvas/index.js":    "x",
		}, []string{"LK141 nodejs/node_modules/canvas/binding.gyp error"}, ""},
		{"built at install, and built", "nodejs22.x-arm64", map[string]string{
			"nodejs/node_modules/canvas/binding.gyp":               "{}",
			"nodejs/node_modules/canvas/build/Release/canvas.node": "@libanswer-arm64.so",
		}, nil, ""},
		{"a macOS binary in a folder named for macOS", "python3.12-x86_64", map[string]string{
			"python/pkg/macos/helper.dylib": machO,
		}, nil, "binaries for other platforms"},
		{"a folder named for another CPU, alone, still runs", "python3.12-x86_64", map[string]string{
			"python/pkg/arm64/helper.so": "@libanswer-arm64.so",
		}, []string{"LK101 python/pkg/arm64/helper.so error"}, ""},
		{"a macOS binary elsewhere", "python3.12-x86_64", map[string]string{
			"python/pkg/lib/helper.dylib": machO,
		}, []string{"LK104 python/pkg/lib/helper.dylib error"}, ""},
		{"the addon in a package per platform", "nodejs22.x-arm64", map[string]string{
			"nodejs/node_modules/sharp/src/binding.gyp":                             "{}",
			"nodejs/node_modules/@img/sharp-linux-arm64/lib/sharp-linux-arm64.node": "@libanswer-arm64.so",
		}, nil, ""},
		{"ABI folders under node/", "nodejs22.x-x86_64", map[string]string{
			"nodejs/node_modules/zmq/build/linux/x64/node/108/addon.node":               "@libanswer-x86_64.so",
			"nodejs/node_modules/zmq/build/linux/x64/node/glibc-127-Release/addon.node": "@libanswer-x86_64.so",
		}, nil, "binaries for other platforms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, weight []string
			for _, f := range checkLayer(t, tt.files, tt.target) {
				if f.Rule == RuleDeadWeight {
					weight = append(weight, strings.SplitN(f.Message, ":", 2)[0])
					continue
				}
				got = append(got, f.Rule+" "+f.Path+" "+f.Severity.String())
			}
			slices.Sort(got)
			slices.Sort(weight)
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
			if w := strings.Join(weight, ","); w != tt.weight {
				t.Errorf("dead weight = %q, want %q", w, tt.weight)
			}
		})
	}
}

func TestTagOf(t *testing.T) {
	for in, want := range map[string]platformTag{
		"darwin-x64+arm64":                             {os: "darwin", arch: "arm64"},
		"linux-arm64":                                  {os: "linux", arch: "arm64"},
		"node-v115-linux-x64":                          {os: "linux", arch: "x86_64", abi: 115},
		"linux-x86_64":                                 {os: "linux", arch: "x86_64"},
		"glibc-127-Release":                            {libc: "glibc", abi: 127},
		"musl-127-Release":                             {libc: "musl", abi: 127},
		"node.abi115.musl.node":                        {libc: "musl", abi: 115},
		"oracledb-26.0.0-linux-x64.node":               {os: "linux", arch: "x86_64"},
		"sentry_cpu_profiler-linux-x64-glibc-127.node": {os: "linux", arch: "x86_64", libc: "glibc", abi: 127},
		"win32-ia32":                                   {os: "windows", arch: "i386"},
		"attach_linux_amd64.so":                        {os: "linux", arch: "x86_64"},
		"linuxmusl-x64":                                {arch: "x86_64"},
		"python3.12":                                   {},
	} {
		if got, _ := tagOf(in); got != want {
			t.Errorf("tagOf(%q) = %+v, want %+v", in, got, want)
		}
	}
	for _, name := range []string{"site-packages", "python3.12", "v2", "libfoo.so.1"} {
		if _, ok := tagOf(name); ok {
			t.Errorf("%s names a platform", name)
		}
	}
}

// A CA bundle (certifi's cacert.pem, grpc's roots.pem) is public; a .pem
// holding a private key is a secret.
func TestCABundleIsNoSecret(t *testing.T) {
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	got := ruleSet(checkLayer(t, map[string]string{
		"python/certifi/cacert.pem":                  cert + cert,
		"python/grpc/_cython/_credentials/roots.pem": cert,
		"python/app/server.pem":                      cert + "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
	}, "python3.12-x86_64"))
	if !slices.Equal(got, []string{"LK170 python/app/server.pem"}) {
		t.Errorf("findings = %q", got)
	}
}
