#!/usr/bin/env bash
# Recipe for the example's shared libraries: one per layer target, built with
# Debian's cross-compilers (apt-get install gcc-x86-64-linux-gnu gcc-aarch64-linux-gnu).
# The outputs are committed, so building the example needs no compiler.
set -euo pipefail
cd "$(dirname "$0")"
flags=(-shared -fPIC -O2 -s -Wl,--build-id=none -Wl,--hash-style=gnu)
x86_64-linux-gnu-gcc "${flags[@]}" -o ../layers/python3.9-x86_64/lib/libfastmath.so fastmath.c
aarch64-linux-gnu-gcc "${flags[@]}" -o ../layers/python3.12-arm64/lib/libfastmath.so fastmath.c
