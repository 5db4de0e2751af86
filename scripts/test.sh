#!/usr/bin/env bash
# Runs layerkit's test suite, installing first what the tests talk to when it
# is missing: Info-ZIP unzip and Python 3 (they read the zips layerkit writes),
# pip (install's tests run it offline against generated wheels; npm's are
# skipped where npm is absent), and docker-registry, skopeo and umoci (the
# image build's end-to-end test).
# When moto_server is on the machine (and LAYERKIT_MOTO_ENDPOINT is not set)
# it is started on a free loopback port for the end-to-end tests of publish,
# and stopped at the end; without it those tests are skipped.
#
#   scripts/test.sh                 # vet, every test, and the GitHub Action's local run
#   scripts/test.sh -run Zip ./internal/zipper   # arguments go to go test
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v unzip >/dev/null || need+=(unzip)
command -v python3 >/dev/null || need+=(python3)
{ command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; } || need+=(python3-pip)  # install's tests run pip offline
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} for the tests" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The image tests (build --image --push, check --image) push to Debian's
# docker-registry (the Distribution registry) on loopback and read back with
# skopeo and umoci; where they cannot be installed, those tests skip.
imgtools=()
for tool in docker-registry skopeo umoci; do command -v "$tool" >/dev/null || imgtools+=("$tool"); done
if [ ${#imgtools[@]} -gt 0 ]; then
  echo "installing ${imgtools[*]} for the image end-to-end tests" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${imgtools[@]}" >/dev/null; } 2>/dev/null \
    || echo "${imgtools[*]} could not be installed; the image end-to-end tests skip" >&2
fi

# pre-commit (Debian's package) runs the hooks of .pre-commit-hooks.yaml in
# TestPreCommitHooks (with LAYERKIT_LARGE_TESTS); where it cannot be
# installed, that test skips.
if [ -n "${LAYERKIT_LARGE_TESTS:-}" ] && ! command -v pre-commit >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  { $sudo apt-get install -y -qq --no-install-recommends pre-commit >/dev/null; } 2>/dev/null \
    || echo "pre-commit could not be installed; TestPreCommitHooks skips" >&2
fi

# uv is pip-installable; install's tests run it beside pip (and skip it when
# it cannot be had).
command -v uv >/dev/null || python3 -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 \
  || echo "uv could not be installed; install's uv tests skip" >&2

# install's tests run pip and uv against real manylinux wheels, downloaded
# once into a git-ignored folder; offline, those tests skip.
scripts/fetch-fixtures.sh || echo "the wheels for install's tests could not all be downloaded; those tests skip" >&2

if [ -z "${LAYERKIT_MOTO_ENDPOINT:-}" ] && command -v moto_server >/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  log=$(mktemp)
  moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  moto_pid=$!
  trap 'kill $moto_pid 2>/dev/null; wait $moto_pid 2>/dev/null; rm -f "$log"' EXIT
  for _ in $(seq 100); do
    python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null && break
    kill -0 $moto_pid 2>/dev/null || { cat "$log" >&2; echo "moto_server did not start" >&2; exit 1; }
    sleep 0.1
  done
  export LAYERKIT_MOTO_ENDPOINT="http://127.0.0.1:$port"
  echo "moto_server on $LAYERKIT_MOTO_ENDPOINT for the end-to-end tests" >&2
fi

if [ $# -eq 0 ]; then
  go vet ./...
  go test ./...
  # The GitHub Action's steps, run as the runner runs them (needs bash,
  # python3 with PyYAML; skipped without PyYAML).
  if python3 -c 'import yaml' 2>/dev/null; then
    scripts/test-action.sh
  else
    echo "python3 has no PyYAML: the action's local run (scripts/test-action.sh) skips" >&2
  fi
  exit 0
fi
go test "$@"
