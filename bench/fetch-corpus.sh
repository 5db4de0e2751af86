#!/usr/bin/env bash
# Fetches the measuring corpus for `layerkit check`: the most used native npm
# packages and manylinux wheels, each one alone as a Lambda layer, for arm64
# and x86_64, under bench/data/corpus/ (git-ignored; nothing here is committed).
#
#   bench/fetch-corpus.sh              # everything; what is already there is kept
#   bench/fetch-corpus.sh npm          # only npm, only pypi, or only pypi39
#   FORCE=1 bench/fetch-corpus.sh      # fetch again
#   bench/corpus.sh                    # then: check every layer, print the table
#
# Layout, one layer per package (layer root = the folder holding nodejs/ or python/):
#   corpus/npm/<arm64|x86_64>/<pkg>/nodejs/node_modules   for nodejs22.x
#   corpus/pypi/<arm64|x86_64>/<pkg>/python/              for python3.12
#   corpus/pypi39/x86_64/<pkg>/python/                    for python3.9 (Amazon Linux 2, glibc 2.26)
#   corpus/meta/<eco>/<arch>/<pkg>.json                   how each was fetched (outside the layers)
#
# npm packages are installed with --ignore-scripts for linux/<cpu>/glibc, so
# nothing is compiled on the host. A package whose install script is what puts
# its binary in place is recorded in its meta: "needs_script" names the
# script, and "status" is "ok" when a binary for the target is present anyway
# (bundled prebuilds or an optional per-platform package), "unreachable" when
# the binary would be downloaded from outside the npm registry (the download is
# tried once, with the downloader's own cross-platform flags, and its error is
# kept), "compile" when only a compiler would produce it. A layer whose binary
# is unreachable or must be compiled is never counted as a pass by corpus.sh.
#
# Wheels: pip download for cp3.12 (cp3.9) with --platform manylinux2014_<m>
# and manylinux_2_28_<m> (pip also accepts every older manylinux tag), no
# deps, unpacked as pip would into python/. The wheel's file name, and so its
# platform tag, is kept in the meta: a manylinux_2_28 wheel fails on Amazon
# Linux 2 (glibc 2.26), which python3.9 runs on.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/data/corpus"
only=${1:-all}
force=${FORCE:-0}

# The most used npm packages with native code, 20 that install with npm alone.
# Left out: cpu-features (no prebuilt binary anywhere: on Linux it only
# compiles, so its layer holds nothing native to judge); sqlite3 and duckdb
# (prebuild-install and node-pre-gyp fetch the binary from GitHub and from
# the vendor's host: canvas and re2 already stand for that case); isolated-vm
# (its latest needs Node.js 24; the release for 22 downloads from GitHub).
npm_pkgs=(bufferutil utf-8-validate sodium-native better-sqlite3 bcrypt argon2
  sharp @swc/core esbuild canvas re2 classic-level @parcel/watcher lightningcss
  msgpackr-extract node-pty @sentry/profiling-node selenium-webdriver oracledb
  zeromq)
# Each is installed as its latest release: without the tag, npm would pick
# the newest version whose engines fit the host's Node.js, not the runtime's.
# The runtime's Node.js (nodejs22.x), for the downloaders' ABI.
node_target=22.14.0
# The most used PyPI packages that ship native code in manylinux wheels.
pypi_pkgs=(numpy pandas pydantic-core cryptography grpcio psycopg-binary orjson
  lxml pillow pyarrow cffi charset-normalizer markupsafe pyyaml regex ujson
  bcrypt msgpack zstandard aiohttp)

for tool in npm node python3; do
  command -v "$tool" >/dev/null || { echo "fetch-corpus: $tool is missing" >&2; exit 1; }
done

# meta FILE KEY=VALUE... writes a flat JSON object of strings.
meta() {
  local file=$1; shift
  mkdir -p "$(dirname "$file")"
  python3 - "$file" "$@" <<'EOF'
import json, sys
out = {}
for kv in sys.argv[2:]:
    k, _, v = kv.partition("=")
    out[k] = v
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
EOF
}

# native_census DIR ARCH prints "target=N other=N" for the binaries under
# DIR: how many are ELF for the target machine (addons, executables, shared
# libraries), how many are ELF for another machine, Mach-O, or PE addons and
# executables.
native_census() {
  python3 - "$1" "$2" <<'EOF'
import os, sys
want = {"arm64": 0xB7, "x86_64": 0x3E}[sys.argv[2]]
macho = {b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"}
target = other = 0
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        path = os.path.join(root, name)
        if os.path.islink(path):
            continue
        with open(path, "rb") as f:
            head = f.read(20)
        if head[:4] == b"\x7fELF":
            if head[4] == 2 and int.from_bytes(head[18:20], "little") == want:
                target += 1
            else:
                other += 1
        elif head[:4] in macho or (head[:2] == b"MZ" and name.endswith((".node", ".exe", ".dll"))):
            other += 1
print(f"target={target} other={other}")
EOF
}

# try_download PKGDIR CPU SCRIPT runs the download half of a known
# downloader (prebuild-install, node-pre-gyp) for linux/CPU, never its
# compile fallback; prints the last line of its output.
try_download() {
  local dir=$1 cpu=$2 script=$3 bin out rc=0
  bin="$(cd "$dir/../.." && pwd)/node_modules/.bin"
  [ -d "$bin" ] || bin="$(cd "$dir/.." && pwd)/.bin"
  case $script in
    *prebuild-install*)
      local abi=(--runtime node --target "$node_target")
      case $script in *"-r napi"*) abi=(-r napi) ;; esac
      out=$(cd "$dir" && timeout 60 "$bin/prebuild-install" "${abi[@]}" --platform linux --arch "$cpu" --libc glibc --verbose 2>&1) || rc=$? ;;
    *node-pre-gyp*)
      out=$(cd "$dir" && timeout 60 "$bin/node-pre-gyp" install --fallback-to-build=false --target="$node_target" --target_platform=linux --target_arch="$cpu" --target_libc=glibc 2>&1) || rc=$? ;;
    *install-from-cache*) echo "not tried: install-from-cache downloads from GitHub releases for the host only"; return ;;
    *) echo "not tried"; return ;;
  esac
  if [ "$rc" -eq 0 ]; then echo "downloaded"; else printf '%s\n' "$out" | grep -v '^\s*$' | tail -1 | cut -c1-200; fi
}

npm_one() {
  local arch=$1 pkg=$2 cpu
  cpu=$([ "$arch" = arm64 ] && echo arm64 || echo x64)
  local name=${pkg//\//+}
  local out="$corpus/npm/$arch/$name" m="$corpus/meta/npm/$arch/$name.json"
  [ "$force" != 1 ] && [ -f "$m" ] && { echo "have npm $arch $pkg"; return; }
  rm -rf "$out"; mkdir -p "$out/nodejs"
  local log rc=0
  log=$(cd "$out/nodejs" && npm init -y >/dev/null &&
    npm_config_arch=$cpu npm_config_target_arch=$cpu npm_config_platform=linux \
    npm_config_target_platform=linux npm_config_libc=glibc \
    npm install --no-audit --no-fund --ignore-scripts \
      --os=linux --cpu="$cpu" --libc=glibc "$pkg@latest" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ]; then
    meta "$m" package="$pkg" status=failed note="npm install: $(printf '%s\n' "$log" | grep -m1 'ERR' | cut -c1-200)"
    echo "npm $arch $pkg: install failed"; return
  fi
  local dir="$out/nodejs/node_modules/$pkg" version script census target status note=""
  version=$(node -p "require('$dir/package.json').version")
  # Install scripts of the package itself and of its dependencies, as npm saw them.
  script=$(node -e '
    const lock = require(process.argv[1]);
    const out = [];
    for (const [p, e] of Object.entries(lock.packages || {})) {
      if (!p || !e.hasInstallScript) continue;
      const pj = require(process.argv[2] + "/" + p + "/package.json");
      const s = pj.scripts || {};
      const cmd = ["preinstall", "install", "postinstall"].filter(k => s[k]).map(k => s[k]).join(" && ")
        || (require("fs").existsSync(process.argv[2] + "/" + p + "/binding.gyp") ? "node-gyp rebuild (implicit)" : "");
      out.push(p.replace(/^.*node_modules\//, "") + ": " + cmd);
    }
    console.log(out.join("; "));' "$out/nodejs/package-lock.json" "$out/nodejs")
  census=$(native_census "$out/nodejs/node_modules" "$arch")
  target=${census#target=}; target=${target%% *}
  if [ "$target" -gt 0 ] || [ -z "$script" ]; then
    status=ok
  elif printf '%s' "$script" | grep -Eq 'prebuild-install|node-pre-gyp|install-from-cache'; then
    status=unreachable
    note=$(try_download "$dir" "$cpu" "$script")
    # A downloader that succeeded put a binary in place: count again.
    census=$(native_census "$out/nodejs/node_modules" "$arch")
    case $census in target=0\ *) ;; *) status=ok ;; esac
  else
    status=compile
  fi
  meta "$m" package="$pkg" version="$version" status="$status" needs_script="$script" \
    native="$census" note="$note"
  echo "npm $arch $pkg@$version: $status ($census)${script:+ script: $script}${note:+ [$note]}"
}

pypi_one() {
  local eco=$1 arch=$2 py=$3 pkg=$4
  local out="$corpus/$eco/$arch/$pkg" m="$corpus/meta/$eco/$arch/$pkg.json"
  [ "$force" != 1 ] && [ -f "$m" ] && { echo "have $eco $arch $pkg"; return; }
  local wheels rc=0 log machine
  machine=$([ "$arch" = arm64 ] && echo aarch64 || echo x86_64)
  wheels=$(mktemp -d)
  rm -rf "$out"; mkdir -p "$out/python"
  log=$(python3 -m pip download -q -d "$wheels" --no-deps --only-binary=:all: \
    --platform "manylinux2014_$machine" --platform "manylinux_2_28_$machine" \
    --implementation cp --python-version "$py" "$pkg" 2>&1) || rc=$?
  local whl
  whl=$(find "$wheels" -name '*.whl' | head -1)
  if [ "$rc" -ne 0 ] || [ -z "$whl" ]; then
    meta "$m" package="$pkg" status=failed note="pip download: $(printf '%s\n' "$log" | tail -1 | cut -c1-200)"
    rm -rf "$wheels"; echo "$eco $arch $pkg: download failed"; return
  fi
  python3 -m zipfile -e "$whl" "$out/python/"
  local file tag
  file=$(basename "$whl")
  tag=${file%.whl}; tag=${tag##*-}
  meta "$m" package="$pkg" status=ok wheel="$file" platform="$tag"
  rm -rf "$wheels"
  echo "$eco $arch $pkg: $file"
}

mkdir -p "$corpus"
t0=$EPOCHREALTIME
for arch in arm64 x86_64; do
  if [ "$only" = all ] || [ "$only" = npm ]; then
    for p in "${npm_pkgs[@]}"; do npm_one "$arch" "$p"; done
  fi
  if [ "$only" = all ] || [ "$only" = pypi ]; then
    for p in "${pypi_pkgs[@]}"; do pypi_one pypi "$arch" 3.12 "$p"; done
  fi
done
if [ "$only" = all ] || [ "$only" = pypi39 ]; then
  for p in "${pypi_pkgs[@]}"; do pypi_one pypi39 x86_64 3.9 "$p"; done
fi
echo "corpus: $(find "$corpus"/meta -name '*.json' | wc -l) packages," \
  "$(du -sb "$corpus" | cut -f1) bytes in $corpus;" \
  "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b-a}') s"
