#!/usr/bin/env bash
# Checks one folder, and the same folder as a zip, with layerkit and with the
# tools a user would otherwise reach for, side by side in one run; prints
# each one's best wall time and layerkit's ratio to it. Absolute seconds on
# a shared machine mean little; the ratios, taken in the same run, count.
#
#   bench/fetch-layers.sh                       # once: a real 200 MB arm64 Python layer
#   bench/check.sh [FOLDER] [RUNS]              # default bench/data/python-arm64, best of 5
#
# Peers: `scanelf -R` (Debian pax-utils: ELF headers only), `find -exec
# file` (one file(1) per file, the way people look), and unzip-then-scanelf
# for the zip. layerkit runs every rule, with the target set (as CI would).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$(cd "${1:-$here/data/python-arm64}" && pwd)
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in scanelf file unzip go; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install pax-utils file unzip)" >&2; exit 1; }
done
(cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit)
"$work/layerkit" build "$src" --out "$work/dist" >/dev/null 2>&1
zipfile="$work/dist/main.zip"

files=$(find "$src" -type f | wc -l)
echo "input: $src: $files files, $(du -sb "$src" | cut -f1) bytes; zip $(stat -c %s "$zipfile") bytes; $(nproc) cores; best of $runs"
find "$src" -type f -exec cat {} + >/dev/null   # warm the page cache

declare -A T
measure() {
  local name=$1 n=$2; shift 2
  local best=""
  for _ in $(seq "$n"); do
    local t0=$EPOCHREALTIME
    local rc=0
    "$@" >/dev/null 2>"$work/err" || rc=$?
    # layerkit exits 3 on findings; anything else but 0 is a failed run.
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then cat "$work/err" >&2; echo "bench: $name exited $rc" >&2; exit 1; fi
    local sec
    sec=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.4f", b-a}')
    if [ -z "$best" ] || awk "BEGIN{exit !($sec < $best)}"; then best=$sec; fi
  done
  T[$name]=$best
}
unzip_scan() { rm -rf "$work/x" && unzip -q "$zipfile" -d "$work/x" && scanelf -R "$work/x" >/dev/null; }
export -f unzip_scan; export work zipfile

flags=(--runtime python3.12 --arch arm64 --format json)
measure "scanelf -R" "$runs" scanelf -R "$src"
measure "find -exec file" 1 find "$src" -type f -exec file {} \;
measure "unzip+scanelf" "$runs" bash -c unzip_scan
measure "layerkit folder" "$runs" "$work/layerkit" check "$src" "${flags[@]}"
measure "layerkit zip" "$runs" "$work/layerkit" check "$zipfile" "${flags[@]}"

printf '\n%-18s %9s\n' tool seconds
for n in "scanelf -R" "find -exec file" "unzip+scanelf" "layerkit folder" "layerkit zip"; do
  printf '%-18s %9s\n' "$n" "${T[$n]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3fx", a/b}'; }
echo
echo "layerkit folder / scanelf -R:      $(ratio "${T[layerkit folder]}" "${T[scanelf -R]}")"
echo "layerkit folder / find -exec file: $(ratio "${T[layerkit folder]}" "${T[find -exec file]}")"
echo "layerkit zip / unzip+scanelf:      $(ratio "${T[layerkit zip]}" "${T[unzip+scanelf]}")"
