#!/usr/bin/env bash
# Packages one folder with layerkit and with the tools a user would otherwise
# use, side by side in one run, and prints each peer's time, peak memory and
# output size with layerkit's ratio to it. Absolute seconds on a shared
# machine mean little; the ratios, taken in the same run, are what count.
#
#   bench/fetch-layers.sh                     # once: a real 200 MB arm64 Python layer
#   bench/run.sh [FOLDER] [RUNS]              # default bench/data/python-arm64, best of 3
#
# Peers: Info-ZIP `zip -r` (default level 6; follows symlinks, so a linked
# .so is stored twice), `zip -ry` (stores symlinks as layerkit does: the same
# content), Python's zipfile, Go's archive/zip, and "klauspost plain"
# (bench/peers/kpzip: klauspost/compress level 6 on whole files, one
# goroutine per core: the reference the speed goal was set against). layerkit
# runs cold (no cache, fresh output folder), as a rebuild of the unchanged
# tree ("unchanged": the zip is kept, its hash checked), and as a rebuild
# with a new SOURCE_DATE_EPOCH ("reuse": every header is new, every file's
# compressed bytes come from the previous zip). Both rebuilds must give the
# bytes of a cold build with the same settings.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$(cd "${1:-$here/data/python-arm64}" && pwd)
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LAYERKIT_CACHE_DIR="$work/cache"   # a cache of this run's own, not the user's

for tool in zip python3 go /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
(cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit && go build -o "$work/gozip" ./bench/peers/gozip &&
  go build -o "$work/kpzip" ./bench/peers/kpzip)

files=$(find "$src" -type f | wc -l)
bytes=$(du -sb "$src" | cut -f1)
echo "input: $src: $files files, $bytes bytes; $(nproc) cores; best of $runs runs"

# measure NAME OUTPUT PREP CMD...: runs PREP (untimed) then CMD, $runs times;
# records the best wall time, the peak RSS of that run, and OUTPUT's size.
declare -A T M S
measure() {
  local name=$1 output=$2 prep=$3; shift 3
  local best="" mem=""
  for _ in $(seq "$runs"); do
    eval "$prep"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    read -r sec kb <"$work/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($sec < $best)}"; then best=$sec; mem=$kb; fi
  done
  T[$name]=$best; M[$name]=$mem; S[$name]=$(stat -c %s "$output")
}

measure "zip -r" "$work/zip.zip" 'rm -f "$work/zip.zip"' \
  bash -c 'cd "$1" && zip -qr "$2" .' _ "$src" "$work/zip.zip"
measure "zip -ry" "$work/zipy.zip" 'rm -f "$work/zipy.zip"' \
  bash -c 'cd "$1" && zip -qry "$2" .' _ "$src" "$work/zipy.zip"
measure "python zipfile" "$work/py.zip" 'rm -f "$work/py.zip"' \
  python3 "$here/peers/pyzip.py" "$src" "$work/py.zip"
measure "go archive/zip" "$work/go.zip" 'rm -f "$work/go.zip"' \
  "$work/gozip" "$src" "$work/go.zip"
measure "klauspost plain" "$work/kp.zip" 'rm -f "$work/kp.zip"' \
  "$work/kpzip" "$src" "$work/kp.zip"
measure "layerkit cold" "$work/lk/main.zip" 'rm -rf "$work/lk"' \
  "$work/layerkit" build "$src" --out "$work/lk" --no-cache
cold_sha=$(sha256sum "$work/lk/main.zip" | cut -d' ' -f1)
"$work/layerkit" build "$src" --out "$work/lk" >/dev/null 2>&1   # fill the cache
measure "layerkit unchanged" "$work/lk/main.zip" ':' \
  "$work/layerkit" build "$src" --out "$work/lk"
unchanged_sha=$(sha256sum "$work/lk/main.zip" | cut -d' ' -f1)
# Each reuse run follows a build at the default timestamp.
measure "layerkit reuse" "$work/lk/main.zip" '"$work/layerkit" build "$src" --out "$work/lk" >/dev/null 2>&1' \
  env SOURCE_DATE_EPOCH=946684800 "$work/layerkit" build "$src" --out "$work/lk"
reuse_sha=$(sha256sum "$work/lk/main.zip" | cut -d' ' -f1)
SOURCE_DATE_EPOCH=946684800 "$work/layerkit" build "$src" --out "$work/lk2000" --no-cache >/dev/null 2>&1
cold2000_sha=$(sha256sum "$work/lk2000/main.zip" | cut -d' ' -f1)

printf '\n%-18s %9s %10s %12s %12s %12s\n' tool seconds "peak MiB" "zip bytes" "time ratio" "size ratio"
for name in "zip -r" "zip -ry" "python zipfile" "go archive/zip" "klauspost plain" "layerkit cold" "layerkit unchanged" "layerkit reuse"; do
  printf '%-18s %9s %10d %12d' "$name" "${T[$name]}" $(( ${M[$name]} / 1024 )) "${S[$name]}"
  case $name in
    layerkit*) printf '\n' ;;
    *) awk -v a="${T[layerkit cold]}" -v b="${T[$name]}" -v c="${S[layerkit cold]}" -v d="${S[$name]}" \
         'BEGIN{printf " %11.3fx %11.3fx\n", a/b, c/d}' ;;
  esac
done
awk -v u="${T[layerkit unchanged]}" -v r="${T[layerkit reuse]}" -v c="${T[layerkit cold]}" \
  'BEGIN{printf "\nrebuild / cold build: unchanged tree %.3fx, every header new %.3fx\n", u/c, r/c}'
status=0
if [ "$cold_sha" = "$unchanged_sha" ]; then echo "unchanged rebuild output: byte-identical to the cold build"
else echo "unchanged rebuild output: DIFFERS from the cold build" >&2; status=1; fi
if [ "$cold2000_sha" = "$reuse_sha" ]; then echo "reuse rebuild output: byte-identical to a cold build at the same timestamp"
else echo "reuse rebuild output: DIFFERS from a cold build at the same timestamp" >&2; status=1; fi
echo "(time and size ratios: layerkit cold ÷ peer; below 1 means layerkit is faster or smaller)"
exit $status
