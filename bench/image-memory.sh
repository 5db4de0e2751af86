#!/usr/bin/env bash
# Measures `layerkit check` on a big synthetic container image: writes an
# OCI layout of about 2.8 GB uncompressed (bench/bigimage: 8 gzip layers of
# this machine's shared libraries, 20,000 small files each, incompressible
# blobs, a 40 MiB ELF object, whiteouts of the layer below) once into
# bench/data/bigimage, then prints /usr/bin/time -v's maximum RSS and wall
# time of one check. Layers are streamed, so the RSS stays far below the
# image's size.
#
#   bench/image-memory.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
img=$here/data/bigimage
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit && go build -o "$work/bigimage" ./bench/bigimage)
[ -f "$img/index.json" ] || "$work/bigimage" "$img"
/usr/bin/time -v "$work/layerkit" check "$img" --format json >/dev/null 2>"$work/time" || true
grep -E "Maximum resident set size|Elapsed" "$work/time"
