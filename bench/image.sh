#!/usr/bin/env bash
# Measures `layerkit build --image` against `layerkit build` (zips) of the
# same project: one layer target (FOLDER as layers/python3.12-arm64/) and a
# one-file function. The image build writes the layer's tar.gz with
# layerkit's own parallel compressor; the goal is at most 1.2 times the zip
# build. Both run cold (fresh output folder, no cache), alternately, best of
# RUNS; the base is a small synthetic OCI layout (bench/peers/ocibase), so
# the measure is what layerkit writes. On a shared machine wall time is
# noisy, so the CPU time (user + system, best run) is compared too. It also
# checks that every image run gave the same digest.
#
#   bench/fetch-layers.sh               # once: the real layers
#   bench/image.sh [FOLDER] [RUNS]      # default bench/data/pypi-arm64, best of 3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$(cd "${1:-$here/data/pypi-arm64}" && pwd)
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing" >&2; exit 1; }
(cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit && go build -o "$work/ocibase" ./bench/peers/ocibase)
"$work/ocibase" "$work/base"

proj="$work/proj"
mkdir -p "$proj/layers"
cp -a "$src" "$proj/layers/python3.12-arm64"
printf 'def handler(event, context):\n    return "ok"\n' >"$proj/handler.py"
files=$(find "$src" -type f | wc -l)
bytes=$(du -sb "$src" | cut -f1)
echo "input: $src as layers/python3.12-arm64: $files files, $bytes bytes; $(nproc) cores; best of $runs runs"

zip_best="" img_best="" zip_mem="" img_mem="" zip_cpu="" img_cpu="" digests=()
for i in $(seq "$runs"); do
  rm -rf "$work/zips" "$work/img"
  /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$work/layerkit" build "$proj" --out "$work/zips" --no-cache >/dev/null 2>"$work/err" ||
    { cat "$work/err" >&2; exit 1; }
  read -r sec kb user sys <"$work/t"
  cpu=$(awk "BEGIN{print $user + $sys}")
  if [ -z "$zip_best" ] || awk "BEGIN{exit !($sec < $zip_best)}"; then zip_best=$sec; zip_mem=$kb; fi
  if [ -z "$zip_cpu" ] || awk "BEGIN{exit !($cpu < $zip_cpu)}"; then zip_cpu=$cpu; fi
  /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$work/layerkit" build "$proj" --out "$work/img" --image \
    --base "oci:$work/base" --handler handler.handler >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r sec kb user sys <"$work/t"
  cpu=$(awk "BEGIN{print $user + $sys}")
  if [ -z "$img_best" ] || awk "BEGIN{exit !($sec < $img_best)}"; then img_best=$sec; img_mem=$kb; fi
  if [ -z "$img_cpu" ] || awk "BEGIN{exit !($cpu < $img_cpu)}"; then img_cpu=$cpu; fi
  digests+=("$(grep -o '"digest": "sha256:[0-9a-f]*"' "$work/img/manifest.json" | tr '\n' ' ')")
  echo "run $i: zips ${zip_best}s best, image ${img_best}s best" >&2
done

zipped=$(stat -c %s "$work/zips/layers/deps-python3.12-arm64.zip")
blob=$(find "$work/img/images/python3.12-arm64/blobs" -type f -size +1M -printf '%s\n' | sort -n | tail -1)
printf '\n%-14s %9s %12s %10s %14s\n' build seconds "CPU seconds" "peak MiB" "layer bytes"
printf '%-14s %9s %12s %10d %14d\n' "zips" "$zip_best" "$zip_cpu" $((zip_mem / 1024)) "$zipped"
printf '%-14s %9s %12s %10d %14d\n' "image" "$img_best" "$img_cpu" $((img_mem / 1024)) "$blob"
awk -v a="$img_best" -v b="$zip_best" -v e="$img_cpu" -v f="$zip_cpu" -v c="$blob" -v d="$zipped" \
  'BEGIN{printf "\nimage / zips: time %.3fx (goal: at most 1.2x), CPU time %.3fx, layer size %.3fx\n", a/b, e/f, c/d}'
status=0
for d in "${digests[@]}"; do
  if [ "$d" != "${digests[0]}" ]; then echo "image digests DIFFER between runs" >&2; status=1; fi
done
[ $status = 0 ] && echo "image digest identical in all $runs runs: ${digests[0]}"
exit $status
