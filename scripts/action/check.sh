#!/usr/bin/env bash
# The GitHub Action's check step (action.yml): runs layerkit check with the
# action's inputs (INPUT_*), writes the Markdown summary to
# $GITHUB_STEP_SUMMARY and the exit code and SARIF path to $GITHUB_OUTPUT,
# and exits as layerkit did (3: findings at or above fail-on), after the
# summary is written.
set -euo pipefail

read -r -d '' -a paths <<<"${INPUT_PATHS:-.}" || true
read -r -d '' -a extra <<<"${INPUT_ARGS:-}" || true
args=(check "${paths[@]}" --format "${INPUT_FORMAT:-github}" --fail-on "${INPUT_FAIL_ON:-error}")
[ -n "${INPUT_RUNTIME:-}" ] && args+=(--runtime "$INPUT_RUNTIME")
[ -n "${INPUT_ARCH:-}" ] && args+=(--arch "$INPUT_ARCH")
if [ -n "${INPUT_SARIF:-}" ]; then
  mkdir -p "$(dirname "$INPUT_SARIF")"
  args+=(--output "sarif=$INPUT_SARIF")
fi
summary=""
if [ "${INPUT_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  summary=$(mktemp)
  trap 'rm -f "$summary"' EXIT
  args+=(--output "markdown=$summary")
fi
args+=(${extra[@]+"${extra[@]}"}) # bash 3.2 (macOS) calls an empty array unset

layerkit=layerkit
for exe in layerkit layerkit.exe; do
  if [ -n "${RUNNER_TEMP:-}" ] && [ -x "$RUNNER_TEMP/layerkit/bin/$exe" ]; then
    layerkit="$RUNNER_TEMP/layerkit/bin/$exe" # the install step's, whatever PATH holds
  fi
done
code=0
"$layerkit" "${args[@]}" || code=$?
if [ -n "$summary" ] && [ -s "$summary" ]; then
  cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$code" >> "$GITHUB_OUTPUT"
  [ -n "${INPUT_SARIF:-}" ] && echo "sarif=$INPUT_SARIF" >> "$GITHUB_OUTPUT"
fi
exit "$code"
