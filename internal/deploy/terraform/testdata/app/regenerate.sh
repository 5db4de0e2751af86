#!/usr/bin/env bash
# Rebuilds this fixture: the planted binaries (host gcc, x86_64), the function
# and layer zips, and plan.json, the output of
#   terraform plan -out=plan.out && terraform show -json plan.out
# with Terraform 1.11.4 and the AWS provider built from source at commit
# 5f2286d6d836 (2026-06-02, 6.48.0 unreleased), offline: fake credentials,
# no account lookup, nothing refreshed, so the plan makes no AWS calls.
#
#   ./regenerate.sh                  # builds the provider for aws_lambda_* (see below)
#   FULL_PROVIDER=1 ./regenerate.sh  # builds the whole provider (over an hour)
#   TF_AWS_PROVIDER=/path/to/terraform-provider-aws ./regenerate.sh
#
# builds/ stays absent: it is where aws_lambda_function.unbuilt's zip would be
# built at apply time. Neither .terraform (TF_DATA_DIR is a temp folder) nor
# the binary plan is kept.
set -euo pipefail
cd "$(dirname "$0")"

TERRAFORM_VERSION=1.11.4
PROVIDER_MODULE=github.com/hashicorp/terraform-provider-aws
PROVIDER_VERSION=v1.60.1-0.20260602190131-5f2286d6d836 # the Go module proxy's pseudo-version of commit 5f2286d6d836

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/terraformrc"
export TF_CLI_CONFIG_FILE="$tmp/terraformrc" # no ~/.terraformrc: only what this script writes

# Terraform at the pinned version: the one on PATH if it is that one, else
# the release zip from releases.hashicorp.com.
tf=$(command -v terraform || true)
if [ -z "$tf" ] || ! "$tf" version | head -1 | grep -qx "Terraform v$TERRAFORM_VERSION"; then
  curl -fsSL -o "$tmp/tf.zip" "https://releases.hashicorp.com/terraform/$TERRAFORM_VERSION/terraform_${TERRAFORM_VERSION}_linux_amd64.zip"
  unzip -q -d "$tmp/tfbin" "$tmp/tf.zip"
  tf="$tmp/tfbin/terraform"
fi
"$tf" version | head -1

# The AWS provider, built from its source on the Go module proxy when none
# is given (the provider registry need not be reachable). The whole provider
# (266 service packages, about 2,300 Go packages) takes over an hour on two
# cores; the plan needs only aws_lambda_*, so by default the source is built
# with its two generated registries cut down to what those resources use:
# internal/provider/sdkv2/service_packages_gen.go registers only the lambda
# service package, internal/conns/awsclient_gen.go keeps only the clients the
# remaining packages call (Account, EC2, Lambda, Organizations, S3). Nothing
# else is changed: the provider's configuration and the aws_lambda_* schemas
# are the released code's. FULL_PROVIDER=1 builds the whole provider instead.
provider=${TF_AWS_PROVIDER:-}
if [ -z "$provider" ] && [ -n "${FULL_PROVIDER:-}" ]; then
  GOBIN="$tmp/gobin" GOFLAGS=-buildvcs=false nice -n 19 go install -ldflags="-s -w" "$PROVIDER_MODULE@$PROVIDER_VERSION"
  provider="$tmp/gobin/terraform-provider-aws"
elif [ -z "$provider" ]; then
  src=$(cd "$tmp" && GOFLAGS= go mod download -json "$PROVIDER_MODULE@$PROVIDER_VERSION" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  cp -r "$src/." "$tmp/provider-src"
  chmod -R u+w "$tmp/provider-src"
  python3 - "$tmp/provider-src" <<'PY'
import re, sys
root = sys.argv[1]
p = root + "/internal/provider/sdkv2/service_packages_gen.go"
s = open(p).read()
s = re.sub(r'\t"github.com/hashicorp/terraform-provider-aws/internal/service/(?!lambda")[a-z0-9]+"\n', "", s)
s = re.sub(r'\t\t(?!lambda\.)[a-z0-9]+\.ServicePackage\(ctx\),\n', "", s)
open(p, "w").write(s)
keep = {"AccountClient", "EC2Client", "LambdaClient", "OrganizationsClient", "S3Client"}
p = root + "/internal/conns/awsclient_gen.go"
head, rest = open(p).read().split("\nfunc ", 1)
blocks = []
for i, b in enumerate(("func " + rest).split("\nfunc ")):
    b = b if i == 0 else "func " + b
    m = re.match(r"func \(c \*AWSClient\) (\w+)\(", b)
    if not m or m.group(1) in keep:
        blocks.append(b.rstrip("\n"))
body = "\n\n".join(blocks) + "\n"
used = set(re.findall(r"\*(\w+)\.Client", body))
def kept(line):
    m = re.match(r'\t(?:(\w+) )?"github.com/aws/aws-sdk-go-v2/service/([\w/]+)"', line)
    return not m or (m.group(1) or m.group(2).split("/")[-1]) in used
open(p, "w").write("\n".join(l for l in head.split("\n") if kept(l)) + "\n" + body)
PY
  (cd "$tmp/provider-src" && GOFLAGS=-buildvcs=false nice -n 19 go build -ldflags="-s -w" -o "$tmp/gobin/terraform-provider-aws" .)
  provider="$tmp/gobin/terraform-provider-aws"
fi
provider_dir=$(cd "$(dirname "$provider")" && pwd)
[ "$(basename "$provider")" = terraform-provider-aws ] || { ln -s "$provider" "$tmp/terraform-provider-aws"; provider_dir=$tmp; }

# Planted binaries, x86_64 (the host's gcc).
gcc -shared -fPIC -O2 -s -o "$tmp/libplanted.so" planted/planted.c
gcc -shared -fPIC -O2 -s -o "$tmp/_speedups.cpython-311-x86_64-linux-gnu.so" planted/speedups.c
file "$tmp/libplanted.so" | grep -q 'x86-64' || { echo "libplanted.so is not x86_64" >&2; exit 1; }

# Zips with fixed dates and modes, so that rerunning changes only what the
# compiler changed.
python3 - "$tmp" <<'PY'
import os, sys, zipfile
tmp = sys.argv[1]
def write(path, entries):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
        for name, src in entries:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if name.endswith(".so") else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = open(src, "rb").read() if src else b""
            z.writestr(info, data)
    os.replace(path + ".tmp", path)
app = "src/app.py"
for fn in ("arm", "abi", "ok", "nohandler"):
    write(f"build/{fn}.zip", [("app.py", app)])
write("layers/native.zip", [("lib/libplanted.so", f"{tmp}/libplanted.so")])
write("layers/abi.zip", [("python/planted/__init__.py", None),
                         ("python/planted/_speedups.cpython-311-x86_64-linux-gnu.so",
                          f"{tmp}/_speedups.cpython-311-x86_64-linux-gnu.so")])
PY
rm -rf builds

# The provider through dev_overrides: no registry, no lock file.
cat >"$tmp/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "hashicorp/aws" = "$provider_dir"
  }
  direct {}
}
RC
export TF_DATA_DIR="$tmp/data" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
unset AWS_PROFILE AWS_SESSION_TOKEN

"$tf" get -no-color >/dev/null # the local module ./modules/fn
"$tf" plan -no-color -input=false -refresh=false -out="$tmp/plan.out" >"$tmp/plan.log" || { cat "$tmp/plan.log" >&2; exit 1; }
"$tf" show -json "$tmp/plan.out" >plan.json.tmp
mv plan.json.tmp plan.json
echo "plan.json: $(wc -c <plan.json) bytes, terraform $TERRAFORM_VERSION, provider $PROVIDER_VERSION"
