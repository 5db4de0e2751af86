#!/usr/bin/env bash
# Downloads the real manylinux wheels install's tests run pip and uv against,
# into internal/install/testdata/wheels/ (git-ignored), and the Debian layer
# build's slim test imports from (debian_layer, below). Each folder holds the
# wheels of numpy, pydantic-core, cryptography, psycopg-binary and orjson that
# pip picks for one target with layerkit's own platform tags:
#
#   cp312-aarch64/   python3.12 arm64   (Amazon Linux 2023, glibc 2.34)
#   cp312-x86_64/    python3.12 x86_64  (Amazon Linux 2023, glibc 2.34)
#   cp39-x86_64/     python3.9 x86_64   (Amazon Linux 2, glibc 2.26)
#   cp39-x86_64-2_28/  cryptography's manylinux_2_28 wheel alone: it needs a
#                    newer glibc than Amazon Linux 2 has, so install must refuse it
#
# Versions are pinned so the tests see the same wheels everywhere. A folder
# that is complete is not downloaded again; a failed download removes the
# folder, so the tests skip rather than run on half of it.
#
#   scripts/fetch-fixtures.sh          # quiet; prints one line per folder fetched
set -euo pipefail
cd "$(dirname "$0")/.."
out=internal/install/testdata/wheels
pkgs=(numpy==2.0.2 pydantic-core==2.27.2 cryptography==44.0.0 psycopg-binary==3.2.3 orjson==3.10.12)

# platforms prints pip's --platform flags for glibc 2.$1 down to 2.17 on
# arch $2, as install.PlatformTags does (older tags are not needed by
# these packages).
platforms() {
  local m
  for ((m = $1; m >= 17; m--)); do printf -- '--platform manylinux_2_%d_%s ' "$m" "$2"; done
  printf -- '--platform manylinux2014_%s' "$2"
}

# fetch downloads into one folder. The Python version is a full one, as
# install passes it: "3.9" would mean 3.9.0, which cryptography's
# Requires-Python (!=3.9.0,!=3.9.1) excludes.
fetch() { # folder python-version platform-flags packages...
  local name=$1 dir=$out/$1 ver=$2 plat=$3
  shift 3
  [ -f "$dir/.complete" ] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # $plat is a list of flags
  if ! PIP_FIND_LINKS= python3 -m pip download --quiet --disable-pip-version-check --timeout 20 --retries 1 --no-deps \
      --only-binary=:all: --implementation cp --python-version "$ver" $plat --dest "$dir" "$@" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    rm -rf "$dir" "$dir.log"
    echo "fetch-fixtures: could not download the wheels for $name" >&2
    return 1
  fi
  rm -f "$dir.log"
  touch "$dir/.complete"
  echo "fetch-fixtures: $name: $(ls "$dir"/*.whl | wc -l) wheels, $(du -sh "$dir" | cut -f1)" >&2
}

# debian_layer lays out Debian 12's numpy, scipy, pandas, lxml and Pillow
# for x86_64 (python3-* and the libraries they load, `apt-get download` then
# `dpkg-deb -x`) as a layer in internal/build/testdata/debian-x86_64/layer/:
# python/ (dist-packages) and lib/ (the shared libraries, with the
# libblas.so.3 and liblapack.so.3 links update-alternatives would make).
# Build's slim test builds it with slim on and imports every package from
# the result with the host's python3 (Debian's 3.11, which these packages
# are built for).
debian_layer() {
  local dir=internal/build/testdata/debian-x86_64 layer
  layer=$dir/layer
  [ -f "$dir/.complete" ] && return 0
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "fetch-fixtures: no apt-get/dpkg-deb: the Debian layer is not fetched" >&2; return 1; }
  rm -rf "$dir"
  mkdir -p "$dir/debs" "$dir/root" "$layer/python" "$layer/lib"
  local pkgs=(python3-numpy python3-scipy python3-pandas python3-pandas-lib python3-lxml python3-pil
    python3-dateutil python3-tz python3-six python3-decorator
    libblas3 liblapack3 libgfortran5 libquadmath0 liblbfgsb0
    libxslt1.1 libxml2 libicu72
    libfreetype6 libimagequant0 libjpeg62-turbo liblcms2-2 libopenjp2-7 libraqm0 libtiff6 libwebp7
    libwebpdemux2 libwebpmux3 libdeflate0 libjbig0 liblerc4 libfribidi0 libharfbuzz0b libgraphite2-3
    libpng16-16 libbrotli1)
  if ! (cd "$dir/debs" && apt-get download -q "${pkgs[@]/%/:amd64}" >../download.log 2>&1); then
    cat "$dir/download.log" >&2
    rm -rf "$dir"
    echo "fetch-fixtures: could not download the Debian packages for the slim test" >&2
    return 1
  fi
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  cp -a "$dir/root/usr/lib/python3/dist-packages/." "$layer/python/"
  cp -a "$dir/root/usr/lib/x86_64-linux-gnu/." "$layer/lib/"
  ln -s blas/libblas.so.3 "$layer/lib/libblas.so.3"
  ln -s lapack/liblapack.so.3 "$layer/lib/liblapack.so.3"
  rm -rf "$dir/root" "$dir/debs" "$dir/download.log"
  touch "$dir/.complete"
  echo "fetch-fixtures: debian-x86_64: ${#pkgs[@]} packages, $(du -sh "$layer" | cut -f1)" >&2
}

status=0
debian_layer || status=1
fetch cp312-aarch64 3.12.6 "$(platforms 34 aarch64)" "${pkgs[@]}" || status=1
fetch cp312-x86_64 3.12.6 "$(platforms 34 x86_64)" "${pkgs[@]}" || status=1
fetch cp39-x86_64 3.9.20 "$(platforms 26 x86_64)" "${pkgs[@]}" || status=1
fetch cp39-x86_64-2_28 3.9.20 "--platform manylinux_2_28_x86_64" cryptography==44.0.0 || status=1
exit $status
