#!/usr/bin/env bash
# Runs the GitHub Action (action.yml) locally, step by step as the runner
# does (scripts/run-action.py), with a made-up GITHUB_* and RUNNER_*
# environment, against a release served from a local folder (file://):
#   1. a release install with its checksum, a layer with errors: exit 3,
#      annotations, SARIF, the job summary and the step outputs;
#   2. a clean layer: exit 0;
#   3. a release archive that does not match checksums.txt: the install
#      step fails and nothing runs;
#   4. README's GitHub workflow step (scripts/ci/github-workflow.yml), its
#      inputs checked against action.yml, and README's GitLab job
#      (scripts/ci/gitlab-ci.yml), its layerkit lines run;
#   5. with LAYERKIT_LARGE_TESTS set, an unreleased ref: built from the
#      action's checkout with Go.
# LAYERKIT_TEST_BINARY names a layerkit built already (the Go test builds
# it once); otherwise it is built here. Nothing leaves the machine.
#
#   scripts/test-action.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${LAYERKIT_TEST_BINARY:-}" ]; then
  cp "$LAYERKIT_TEST_BINARY" "$work/layerkit"
else
  (cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit)
fi

case "$(uname -m)" in
  aarch64 | arm64) goarch=arm64 runner_arch=ARM64 ;;
  *) goarch=amd64 runner_arch=X64 ;;
esac
case "$(uname -s)" in
  Darwin) goos=darwin runner_os=macOS ;;
  *) goos=linux runner_os=Linux ;;
esac

# A release as GoReleaser lays it out (.goreleaser.yaml): one archive per
# platform and a checksums.txt.
rel="$work/releases/v9.9.9"
mkdir -p "$rel"
tar -czf "$rel/layerkit_9.9.9_${goos}_${goarch}.tar.gz" -C "$work" layerkit
(cd "$rel" && sha256sum ./*.tar.gz | sed 's| \./| |' > checksums.txt)

cp -r "$repo/examples/python-app" "$work/app"
gocache=$(go env GOCACHE) gomodcache=$(go env GOMODCACHE)

fail=0
check() { # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1" >&2; fail=1; fi
}

# run_action NAME REF [VAR=VALUE...]: runs the action in $work/app with a
# fresh runner environment; leaves its exit code in $code and its files in
# $work/NAME.
run_action() {
  local name=$1 ref=$2
  shift 2
  local d="$work/$name"
  mkdir -p "$d/temp"
  : >"$d/path" && : >"$d/output" && : >"$d/summary"
  code=0
  (
    cd "$work/app"
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" GOCACHE="$gocache" GOMODCACHE="$gomodcache" GOFLAGS="${GOFLAGS:-}" GOPROXY=off \
      GITHUB_ACTIONS=true CI=true GITHUB_WORKSPACE="$work/app" GITHUB_ACTION_PATH="$repo" GITHUB_ACTION_REF="$ref" \
      GITHUB_PATH="$d/path" GITHUB_OUTPUT="$d/output" GITHUB_STEP_SUMMARY="$d/summary" \
      RUNNER_OS="$runner_os" RUNNER_ARCH="$runner_arch" RUNNER_TEMP="$d/temp" \
      LAYERKIT_RELEASE_URL="file://$work/releases" "$@" \
      python3 "$repo/scripts/run-action.py" "$repo/action.yml" >"$d/stdout" 2>"$d/stderr"
  ) || code=$?
}

run_action errors v9.9.9 INPUT_PATHS=layers/python3.9-x86_64 INPUT_RUNTIME=python3.12 INPUT_ARCH=arm64 INPUT_SARIF=out/layerkit.sarif
d="$work/errors"
check "findings exit 3 (got $code)" [ "$code" = 3 ]
check "installed the release after checking its SHA-256" grep -q "installing layerkit v9.9.9 ($goos/$goarch)" "$d/stdout"
check "GITHUB_PATH names the binary's folder" grep -qx "$d/temp/layerkit/bin" "$d/path"
check "annotations on the file" grep -q "^::error file=layers/python3.9-x86_64/lib/libfastmath.so,title=LK101 elf-machine" "$d/stdout"
check "the job summary counts by rule" grep -q "^| LK101 elf-machine | 1 error |" "$d/summary"
check "the job summary lists the worst files" grep -q "^| layers/python3.9-x86\\\\_64/lib/libfastmath.so | 1 | LK101 |" "$d/summary"
check "SARIF written with every finding" python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))['runs'][0]['results']) == 2" "$work/app/out/layerkit.sarif"
check "step outputs" grep -qx "exit-code=3" "$d/output"
check "sarif output" grep -qx "sarif=out/layerkit.sarif" "$d/output"

run_action clean v9.9.9 INPUT_PATHS="layers/python3.12-arm64
app" INPUT_RUNTIME=python3.12 INPUT_ARCH=arm64 INPUT_FORMAT=text
check "a clean layer exits 0 (got $code; $(tail -1 "$work/clean/stdout" 2>/dev/null))" [ "$code" = 0 ]
check "no SARIF output when none asked" bash -c "! grep -q '^sarif=' '$work/clean/output'"
check "the summary says it is clean" grep -q "^### ✅ layerkit check" "$work/clean/summary"

cp -r "$work/releases" "$work/tampered-releases"
echo "tampered" >>"$work/tampered-releases/v9.9.9/layerkit_9.9.9_${goos}_${goarch}.tar.gz"
run_action tampered v9.9.9 INPUT_PATHS=layers/python3.9-x86_64 LAYERKIT_RELEASE_URL="file://$work/tampered-releases"
check "a tampered archive fails the install (got $code)" [ "$code" = 1 ]
check "the install says the checksum does not match" grep -q "SHA-256 .* does not match checksums.txt" "$work/tampered/stdout"
check "nothing was installed" bash -c "[ ! -s '$work/tampered/path' ] && [ ! -e '$work/tampered/temp/layerkit/bin/layerkit' ]"

# README's GitHub workflow (scripts/ci/github-workflow.yml): its layerkit
# step's inputs are the action's, and the action runs clean with them on the
# example.
inputs=$(python3 - "$repo/scripts/ci/github-workflow.yml" "$repo/action.yml" <<'PY'
import shlex, sys, yaml
wf, action = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
steps = [s for job in wf["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith("layerkit/layerkit@")]
assert len(steps) == 1, "one layerkit step"
for k, v in steps[0]["with"].items():
    assert k in action["inputs"], f"the workflow gives input {k}, which action.yml does not take"
    print(shlex.quote("INPUT_" + k.replace("-", "_").upper() + "=" + str(v)))
PY
)
eval "run_action workflow v9.9.9 $(echo $inputs)"
check "README's workflow step runs clean on the example (got $code)" [ "$code" = 0 ]
check "README's workflow step writes the SARIF upload-sarif reads" test -s "$work/app/layerkit.sarif"

# README's GitLab job (scripts/ci/gitlab-ci.yml): its layerkit lines run
# (the go install line is the install, done here already) and write the
# code quality report the job's artifacts name.
report=$(python3 -c 'import sys, yaml; j = yaml.safe_load(open(sys.argv[1]))["layerkit"]; print(j["artifacts"]["reports"]["codequality"]); [print(l) for l in j["script"] if l.startswith("layerkit ")]' "$repo/scripts/ci/gitlab-ci.yml")
gl_report=$(head -1 <<<"$report")
gl_code=0
(cd "$work/app" && PATH="$work:$PATH" && tail -n +2 <<<"$report" | while read -r line; do eval "$line" >/dev/null; done) || gl_code=$?
check "README's GitLab job runs clean on the example (got $gl_code)" [ "$gl_code" = 0 ]
check "README's GitLab job writes $gl_report" python3 -c "import json,sys; assert json.load(open(sys.argv[1])) == []" "$work/app/$gl_report"

if [ -n "${LAYERKIT_LARGE_TESTS:-}" ]; then
  run_action source main INPUT_PATHS=layers/python3.9-x86_64 INPUT_RUNTIME=python3.12 INPUT_ARCH=arm64 INPUT_FORMAT=json
  check "an unreleased ref builds from the checkout (got $code)" [ "$code" = 3 ]
  check "the built layerkit ran" grep -q "building layerkit from $repo (main)" "$work/source/stdout"
else
  echo "skip: building the action from source (set LAYERKIT_LARGE_TESTS)"
fi

if [ "$fail" != 0 ]; then
  for f in "$work"/*/stdout "$work"/*/stderr; do echo "--- $f" >&2; cat "$f" >&2; done
  exit 1
fi
echo "action: every check passed"
