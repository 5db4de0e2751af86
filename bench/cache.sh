#!/usr/bin/env bash
# Measures the shared build cache as CI meets it: a fresh checkout (every
# inode and mtime new, no output folder) built with the cache folder an
# earlier build filled, against a cold build of the same tree. Prints each
# time and the ratios, and checks every zip is byte-identical to the cold
# build's.
#
#   bench/fetch-layers.sh                 # once: a real 200 MB arm64 Python layer
#   bench/cache.sh [FOLDER] [RUNS]        # default bench/data/pypi-arm64, best of 3
#
# cold:        --no-cache, fresh output folder (bench/run.sh's "layerkit cold")
# cold, fill:  an empty cache folder, filled by this build
# fresh copy:  a new copy of FOLDER (cp -R: new inodes, new mtimes), fresh
#              output folder, the cache folder of the "cold, fill" build
# The copies are made untimed, just before each build, so their bytes are in
# the page cache as a checkout's are right after it. Besides wall time, the
# CPU time (user + system) of the same run is printed: on a machine shared
# with other work it is the steadier measure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$(cd "${1:-$here/data/pypi-arm64}" && pwd)
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit)
echo "input: $src: $(find "$src" -type f | wc -l) files, $(du -sb "$src" | cut -f1) bytes; $(nproc) cores; best of $runs runs"

fresh() { rm -rf "$work/tree" "$work/out"; cp -R "$src" "$work/tree"; }

# measure NAME PREP CMD...: best wall time of $runs runs of CMD, each after
# PREP, and the CPU time of that run.
declare -A T C
measure() {
  local name=$1 prep=$2; shift 2
  local best="" cpu=""
  for _ in $(seq "$runs"); do
    eval "$prep"
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    local sec user sys; read -r sec user sys <"$work/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($sec < $best)}"; then best=$sec; cpu=$(awk "BEGIN{print $user + $sys}"); fi
  done
  T[$name]=$best; C[$name]=$cpu
}
zipsum() { (cd "$work/out" && find . -name '*.zip' -print0 | sort -z | xargs -0 sha256sum); }

export LAYERKIT_CACHE_DIR="$work/unused"   # nothing below reads the user's cache folder
measure "cold" 'fresh' "$work/layerkit" build "$work/tree" --out "$work/out" --no-cache
cold=$(zipsum)
measure "cold, fill" 'fresh; rm -rf "$work/cache"' "$work/layerkit" build "$work/tree" --out "$work/out" --cache-dir "$work/cache"
status=0
[ "$(zipsum)" = "$cold" ] || { echo "cold, fill: zips DIFFER from the cold build's" >&2; status=1; }
measure "fresh copy" 'fresh' "$work/layerkit" build "$work/tree" --out "$work/out" --cache-dir "$work/cache"
[ "$(zipsum)" = "$cold" ] || { echo "fresh copy: zips DIFFER from the cold build's" >&2; status=1; }
cached=$("$work/layerkit" build "$work/tree" --out "$work/json" --cache-dir "$work/cache" --format json |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["cached_files"], "of", sum(a["files"] for a in r["manifest"]["artifacts"]))')

printf '\n%-12s %9s %14s %12s %14s\n' build seconds "÷ cold" "CPU seconds" "÷ cold"
for name in "cold" "cold, fill" "fresh copy"; do
  awk -v n="$name" -v t="${T[$name]}" -v c="${T[cold]}" -v u="${C[$name]}" -v d="${C[cold]}" \
    'BEGIN{printf "%-12s %9.2f %13.3fx %12.2f %13.3fx\n", n, t, t/c, u, u/d}'
done
echo "fresh copy: $cached files (symlinks aside) from the cache; cache folder $(du -sb "$work/cache" | cut -f1) bytes"
[ $status = 0 ] && echo "every zip byte-identical to the cold build's"
exit $status
