#!/usr/bin/env bash
# Rebuilds this fixture: the planted binaries, then `sam build` of the project
# into .aws-sam/build, with the SAM CLI at a pinned version installed into a
# temporary venv (removed at the end; never committed).
#
# Needs: gcc (x86_64 host), Python 3.12 on PATH (sam build of python3.12
# functions and layers runs it; no Docker), and PyPI for the SAM CLI itself.
# No requirements.txt lists a package, so the build downloads nothing.
#
#   SAM CLI 1.170.0 (aws-sam-cli on PyPI)
#
# SAM_VENV=/some/venv reuses a venv that already has that SAM CLI.
set -euo pipefail
cd "$(dirname "$0")"
SAM_CLI_VERSION=1.170.0

# Python 3.12: pyenv's when it is there, else whatever python3.12 is on PATH.
if [ -x "$HOME/.pyenv/versions/3.12.1/bin/python3.12" ]; then
  export PATH="$HOME/.pyenv/versions/3.12.1/bin:$PATH"
fi
py=$(command -v python3.12)

# Planted binaries, built with the host's gcc (x86_64):
# - NativeLayer's lib/libplanted.so: an x86_64 shared library in a layer
#   that the arm64 ArmFn uses. NativeLayer has no BuildMethod: sam build
#   leaves it where it is and points the built template at it.
# - AbiLayer's python/planted/_speedups.cpython-311-x86_64-linux-gnu.so: a
#   CPython 3.11 extension, by its ABI tag, in the python3.12 AbiFn. The
#   layer's BuildMethod is makefile (its Makefile copies python/ as is): the
#   python3.12 BuildMethod's copy leaves out every *.so.
gcc -shared -fPIC -O2 -s -o layers/native/lib/libplanted.so planted/planted.c
gcc -shared -fPIC -O2 -s -o layers/abi/python/planted/_speedups.cpython-311-x86_64-linux-gnu.so planted/speedups.c
: > layers/abi/python/planted/__init__.py

venv=${SAM_VENV:-}
if [ -z "$venv" ]; then
  venv=$(mktemp -d)
  trap 'rm -rf "$venv"' EXIT
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION"
fi
"$venv/bin/sam" --version | grep -qF "$SAM_CLI_VERSION"

rm -rf .aws-sam
SAM_CLI_TELEMETRY=0 "$venv/bin/sam" build --template-file template.yaml

# build.toml records this machine's absolute paths (and the build's
# checksums); the reader does not use it.
rm -f .aws-sam/build.toml
rm -rf .aws-sam/cache .aws-sam/deps
