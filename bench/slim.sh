#!/usr/bin/env bash
# Builds a layer folder with and without --slim, interleaved, and prints
# each one's best wall time, their ratio (slim / normal), the bytes slim
# removed per kind (from the manifest), the unzipped and zipped sizes, and
# whether two slim builds gave the same bytes. Every build is cold
# (--no-cache): with the cache a rebuild reuses the compressed bytes and
# says nothing about speed. Absolute seconds on a shared machine mean
# little; the ratio, taken in the same run, counts.
#
#   bench/fetch-layers.sh                      # once: real 200 MB arm64 layers
#   bench/slim.sh [LAYER_FOLDER...]            # default bench/data/pypi-arm64 and bench/data/python-arm64
#   RUNS=7 bench/slim.sh                       # best of 7 (default 5)
#
# Each folder is hard-linked into a project under bench/data/ (git-ignored)
# as the layer "deps" for python3.12 arm64.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=${RUNS:-5}
[ $# -gt 0 ] || set -- "$here/data/pypi-arm64" "$here/data/python-arm64"
mkdir -p "$here/data"
work=$(mktemp -d "$here/data/.slim.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
(cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit)

for src in "$@"; do
  src=$(cd "$src" && pwd)
  proj="$work/$(basename "$src")"
  mkdir -p "$proj/code"
  cp -al "$src" "$proj/layer"
  printf 'version: 1\nmain:\n  root: code\nlayers:\n  deps:\n    targets:\n      - {runtime: python3.12, arch: arm64, from: layer}\n' >"$proj/layerkit.yaml"
  find "$src" -type f -exec cat {} + >/dev/null   # warm the page cache
  echo "== $src: $(find "$src" -type f | wc -l) files, $(du -sb "$src" | cut -f1) bytes; $(nproc) cores; best of $runs"

  best_normal="" best_slim=""
  for _ in $(seq "$runs"); do
    for mode in normal slim; do
      flags=(--no-cache --out "$proj/dist-$mode")
      [ "$mode" = slim ] && flags+=(--slim)
      t0=$EPOCHREALTIME
      "$work/layerkit" build "$proj" "${flags[@]}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
      sec=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.4f", b-a}')
      if [ "$mode" = normal ]; then
        if [ -z "$best_normal" ] || awk "BEGIN{exit !($sec < $best_normal)}"; then best_normal=$sec; fi
      else
        if [ -z "$best_slim" ] || awk "BEGIN{exit !($sec < $best_slim)}"; then best_slim=$sec; fi
      fi
    done
  done
  # Determinism: one more slim build into another folder, compared.
  "$work/layerkit" build "$proj" --no-cache --slim --out "$proj/dist-again" >/dev/null 2>&1
  a=$(sha256sum "$proj/dist-slim/layers/"*.zip | cut -d' ' -f1)
  b=$(sha256sum "$proj/dist-again/layers/"*.zip | cut -d' ' -f1)
  same=no; [ "$a" = "$b" ] && same=yes

  printf '%-8s %9s\n' build seconds normal "$best_normal" slim "$best_slim"
  echo "slim / normal: $(awk -v a="$best_slim" -v b="$best_normal" 'BEGIN{printf "%.3fx", a/b}')"
  echo "two slim builds byte-identical: $same ($a)"
  python3 - "$proj/dist-normal/manifest.json" "$proj/dist-slim/manifest.json" <<'PY'
import json, sys
n, s = (json.load(open(p)) for p in sys.argv[1:3])
ln = [a for a in n["artifacts"] if a["kind"] == "layer"][0]
ls = [a for a in s["artifacts"] if a["kind"] == "layer"][0]
print(f"unzipped {ln['unzipped_bytes']} -> {ls['unzipped_bytes']} bytes, zipped {ln['zipped_bytes']} -> {ls['zipped_bytes']}, files {ln['files']} -> {ls['files']}")
for r in ls["slim"]["removed"]:
    print(f"  removed {r['kind']}: {r['bytes']} bytes ({r['files']} files)")
print(f"  total {ls['slim']['bytes']} bytes")
PY
  warnings=$(grep -c '^warning' "$work/err" || true)
  echo "warnings in the last slim build: $warnings"
done
