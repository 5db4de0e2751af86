#!/usr/bin/env bash
# Rebuilds cdk.out, the cloud assembly the cdk reader's tests read, with
# the real CDK: aws-cdk-lib 2.276.0, constructs 10.8.1 and the aws-cdk CLI
# 2.1148.1 from the npm registry, installed into a temp folder (never into
# this folder). Needs node >= 20, npm and the host's gcc (x86_64).
#
# Planted binaries (built here, then copied into cdk.out by synth):
#   layers/native/lib/libplanted.so: an x86_64 shared library, in
#     NativeLayer, which the arm64 function ArmFn uses;
#   layers/abi/python/planted/_speedups.cpython-311-x86_64-linux-gnu.so:
#     a CPython 3.11 extension (x86_64), in AbiLayer, which the python3.12
#     function AbiFn uses.
#
# The stacks are environment-agnostic and use only Code.fromAsset, so synth
# makes no lookups and needs no account, region or credentials; notices,
# version checks and telemetry are turned off.
set -euo pipefail
cd "$(dirname "$0")"

CDK_LIB=2.276.0
CONSTRUCTS=10.8.1
CDK_CLI=2.1148.1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/planted.c" <<'C'
int planted(void) { return 42; }
C
cat >"$tmp/speedups.c" <<'C'
/* Not a working extension: only its name and machine matter to the check. */
int PyInit__speedups(void) { return 0; }
C
gcc -O2 -shared -fPIC -s -o layers/native/lib/libplanted.so "$tmp/planted.c"
gcc -O2 -shared -fPIC -s -o layers/abi/python/planted/_speedups.cpython-311-x86_64-linux-gnu.so "$tmp/speedups.c"

npm install --silent --no-audit --no-fund --no-save --prefix "$tmp/npm" \
  "aws-cdk-lib@$CDK_LIB" "constructs@$CONSTRUCTS" "aws-cdk@$CDK_CLI" >/dev/null

rm -rf cdk.out
NODE_PATH="$tmp/npm/node_modules" CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true \
  "$tmp/npm/node_modules/.bin/cdk" synth --quiet --no-notices --no-version-reporting \
  --output cdk.out >/dev/null
# The CLI's lock files are not part of the assembly.
find cdk.out -name '*.lock' -delete
rm -f cdk.context.json
