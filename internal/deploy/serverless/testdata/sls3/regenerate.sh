#!/usr/bin/env bash
# Rebuilds this fixture: the planted binaries, then the Serverless Framework's
# own `serverless package` output in .serverless/ (committed as the tool
# wrote it).
#
# Needs node/npm (the npm registry), gcc (x86_64 host), python3 and
# moto_server. `serverless package` asks the AWS SDK for credentials and
# calls CloudFormation; here it gets fake credentials and a moto_server on
# loopback: moto-endpoint.js, a local plugin listed in serverless.yml, points
# the framework's aws-sdk v2 (which reads no endpoint from the environment)
# at LK_AWS_ENDPOINT. Nothing reaches AWS.
#
# Planted problems (see README.md):
#   layers/native/lib/libplanted.so     x86_64 ELF, in the layer armFn (arm64) uses
#   layers/abi/python/planted/_speedups.cpython-311-x86_64-linux-gnu.so
#                                       a CPython 3.11 extension, in abiFn's (python3.12) layer
#   noHandlerFn's handler missing.handler; its zip holds only other.py
set -euo pipefail

SERVERLESS_VERSION=3.40.0

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The planted shared objects, built with the host's gcc (x86_64).
printf 'int planted(void) { return 42; }\n' >"$tmp/planted.c"
mkdir -p "$here/layers/native/lib" "$here/layers/abi/python/planted"
gcc -shared -fPIC -o "$here/layers/native/lib/libplanted.so" "$tmp/planted.c"
gcc -shared -fPIC -o "$here/layers/abi/python/planted/_speedups.cpython-311-x86_64-linux-gnu.so" "$tmp/planted.c"

# The framework, pinned, in a throwaway folder (never committed).
mkdir -p "$tmp/tool"
(cd "$tmp/tool" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "serverless@$SERVERLESS_VERSION")

# A copy of the project, so that nothing but .serverless comes back.
mkdir -p "$tmp/lkfix"
cp -r "$here/serverless.yml" "$here/moto-endpoint.js" "$here/app.py" "$here/other.py" "$here/layers" "$tmp/lkfix/"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  sleep 0.1
done

(
  cd "$tmp/lkfix"
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
    LK_AWS_ENDPOINT="http://127.0.0.1:$port" \
    SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off \
    "$tmp/tool/node_modules/.bin/serverless" package
)

rm -rf "$here/.serverless"
cp -r "$tmp/lkfix/.serverless" "$here/.serverless"
"$tmp/tool/node_modules/.bin/serverless" --version | sed -n 1p
