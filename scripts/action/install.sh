#!/usr/bin/env bash
# The GitHub Action's install step (action.yml). Puts a layerkit binary in
# $RUNNER_TEMP/layerkit/bin and that folder on $GITHUB_PATH:
#   - a release (LAYERKIT_VERSION=v1.2.3, or the action's ref ACTION_REF when
#     it is a release tag): the archive GoReleaser made for the runner's OS
#     and CPU, its SHA-256 checked against the release's checksums.txt;
#   - "source" (or an action ref that is a branch or a commit): built from the
#     action's own checkout (ACTION_PATH) with the runner's Go, as go install
#     would build that ref.
# LAYERKIT_RELEASE_URL replaces https://github.com/layerkit/layerkit/releases/download
# (a mirror, or a local folder as file:///... in scripts/test-action.sh).
set -euo pipefail

version=${LAYERKIT_VERSION:-}
if [ -z "$version" ]; then
  case "${ACTION_REF:-}" in
    v[0-9]*.*) version=$ACTION_REF ;;
    *) version=source ;;
  esac
fi
bin="${RUNNER_TEMP:?RUNNER_TEMP is not set}/layerkit/bin"
mkdir -p "$bin"
exe=layerkit
[ "${RUNNER_OS:-}" = Windows ] && exe=layerkit.exe

if [ "$version" = source ]; then
  command -v go >/dev/null || { echo "::error title=layerkit::the action at ${ACTION_REF:-this ref} is not a release, and building it needs Go (actions/setup-go)"; exit 1; }
  echo "building layerkit from ${ACTION_PATH:?} (${ACTION_REF:-unreleased ref})"
  (cd "$ACTION_PATH" && go build -trimpath -o "$bin/$exe" ./cmd/layerkit)
else
  case "${RUNNER_OS:-Linux}" in
    Linux) os=linux ;;
    macOS) os=darwin ;;
    Windows) os=windows ;;
    *) echo "::error title=layerkit::no layerkit release for runner OS ${RUNNER_OS}"; exit 1 ;;
  esac
  case "${RUNNER_ARCH:-X64}" in
    X64) arch=amd64 ;;
    ARM64) arch=arm64 ;;
    *) echo "::error title=layerkit::no layerkit release for runner architecture ${RUNNER_ARCH}"; exit 1 ;;
  esac
  ext=tar.gz
  [ "$os" = windows ] && ext=zip
  # The archive name is .goreleaser.yaml's archives.name_template.
  archive="layerkit_${version#v}_${os}_${arch}.${ext}"
  base="${LAYERKIT_RELEASE_URL:-https://github.com/layerkit/layerkit/releases/download}/$version"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "installing layerkit $version ($os/$arch)"
  curl -fsSL --retry 3 -o "$work/$archive" "$base/$archive"
  curl -fsSL --retry 3 -o "$work/checksums.txt" "$base/checksums.txt"
  want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/checksums.txt")
  if command -v sha256sum >/dev/null; then
    got=$(sha256sum "$work/$archive" | awk '{print $1}')
  else
    got=$(shasum -a 256 "$work/$archive" | awk '{print $1}')
  fi
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    echo "::error title=layerkit::$archive: SHA-256 $got does not match checksums.txt (${want:-no entry})"
    exit 1
  fi
  if [ "$ext" = zip ]; then
    unzip -q -o "$work/$archive" "$exe" -d "$bin"
  else
    tar -xzf "$work/$archive" -C "$bin" "$exe"
  fi
fi
echo "$bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
"$bin/$exe" version
