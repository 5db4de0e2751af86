#!/usr/bin/env bash
# Runs layerkit's test suite, installing first what the tests talk to when it
# is missing: Info-ZIP unzip and Python 3 (they read the zips layerkit writes).
#
#   scripts/test.sh                 # vet and every test
#   scripts/test.sh -run Zip ./internal/zipper   # arguments go to go test
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v unzip >/dev/null || need+=(unzip)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} for the tests" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ $# -eq 0 ]; then
  go vet ./...
  set -- ./...
fi
go test "$@"
