#!/usr/bin/env bash
# Fetches real Lambda-layer-sized trees for the benchmarks from PyPI's
# manylinux wheels (what most users ship), Debian's arm64 packages and npm, unpacked under bench/data/ (git-ignored; nothing here is committed).
#
#   bench/fetch-layers.sh            # pypi-arm64 (numpy/scipy/pandas wheels), python-arm64
#                                    # (the same from Debian) and node-arm64 (sharp)
#
# The Python tree is laid out as a Lambda layer: python/ holds the packages'
# dist-packages, lib/ the shared libraries they link against.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data="$here/data"
mkdir -p "$data"

python_layer() {
  local out="$data/python-arm64"
  [ -f "$out/.complete" ] && { echo "have $out"; return; }
  rm -rf "$out" "$data/debs"
  mkdir -p "$data/debs" "$out/python" "$out/lib" "$data/root"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -qq
  fi
  # Architecture-specific packages, then the Architecture: all ones.
  local native=(python3-numpy python3-scipy python3-pandas-lib python3-sklearn-lib
    python3-matplotlib python3-pil python3-kiwisolver libopenblas0-pthread
    libgfortran5 liblapack3 libblas3 libstdc++6 libgcc-s1)
  local all=(python3-pandas python3-dateutil python3-tz python3-six python3-sklearn
    python3-joblib python3-threadpoolctl python3-cycler python3-pyparsing)
  (cd "$data/debs" && apt-get download -q "${native[@]/%/:arm64}" "${all[@]}")
  for d in "$data"/debs/*.deb; do dpkg-deb -x "$d" "$data/root"; done
  cp -a "$data/root/usr/lib/python3/dist-packages/." "$out/python/"
  find "$data/root/usr/lib/aarch64-linux-gnu" \( -type f -o -type l \) -name '*.so*' \
    -exec cp -a {} "$out/lib/" \;
  rm -rf "$data/root" "$data/debs"
  # Debian links some web assets into /usr/share; outside the layer they dangle.
  find "$out" -xtype l -delete
  touch "$out/.complete"
  echo "python-arm64: $(du -sb "$out" | cut -f1) bytes, $(find "$out" -type f | wc -l) files"
}

pypi_layer() {
  local out="$data/pypi-arm64"
  [ -f "$out/.complete" ] && { echo "have $out"; return; }
  rm -rf "$out" "$data/wheels"
  mkdir -p "$out/python" "$data/wheels"
  python3 -m pip download -q -d "$data/wheels" --platform manylinux2014_aarch64 \
    --implementation cp --python-version 3.12 --only-binary=:all: numpy scipy pandas
  # A wheel is a zip laid out as site-packages: unpacked as pip would.
  for w in "$data"/wheels/*.whl; do python3 -m zipfile -e "$w" "$out/python/"; done
  rm -rf "$data/wheels"
  touch "$out/.complete"
  echo "pypi-arm64: $(du -sb "$out" | cut -f1) bytes, $(find "$out" -type f | wc -l) files"
}

node_layer() {
  local out="$data/node-arm64"
  [ -f "$out/.complete" ] && { echo "have $out"; return; }
  rm -rf "$out"; mkdir -p "$out/nodejs"
  (cd "$out/nodejs" && npm init -y >/dev/null &&
    npm install --silent --no-audit --no-fund --os=linux --cpu=arm64 --libc=glibc sharp)
  touch "$out/.complete"
  echo "node-arm64: $(du -sb "$out" | cut -f1) bytes, $(find "$out" -type f | wc -l) files"
}

pypi_layer
python_layer
node_layer
