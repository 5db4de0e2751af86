#!/usr/bin/env bash
# Rebuilds state.json: `terraform show -json` of the state `terraform apply`
# leaves for ../app's configuration (without aws_lambda_function.unbuilt,
# whose zip is never built), applied with Terraform 1.11.4 and the AWS
# provider ../app/regenerate.sh builds, against a loopback moto_server
# (moto 5.2.1) standing in for Lambda and IAM. The zips the state names are
# copied here from ../app, where its regenerate.sh builds them.
#
#   TF_AWS_PROVIDER=/path/to/terraform-provider-aws ./regenerate.sh
#
# Without TF_AWS_PROVIDER, build one first: see ../app/regenerate.sh.
set -euo pipefail
cd "$(dirname "$0")"

TERRAFORM_VERSION=1.11.4
MOTO_VERSION=5.2.1
provider=${TF_AWS_PROVIDER:?name the AWS provider binary, built as ../app/regenerate.sh builds it}

tmp=$(mktemp -d)
moto_pid=
cleanup() {
  [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

tf=$(command -v terraform || true)
if [ -z "$tf" ] || ! TF_CLI_CONFIG_FILE=/dev/null "$tf" version | head -1 | grep -qx "Terraform v$TERRAFORM_VERSION"; then
  echo "needs terraform $TERRAFORM_VERSION on PATH (../app/regenerate.sh downloads it)" >&2
  exit 1
fi
moto=$(command -v moto_server || true)
if [ -z "$moto" ] || ! python3 -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  python3 -m venv "$tmp/venv"
  "$tmp/venv/bin/pip" install -q "moto[server]==$MOTO_VERSION"
  moto="$tmp/venv/bin/moto_server"
fi

# Terraform runs in a copy of ../app, so that the state's filename paths are
# those of the plan.
work="$tmp/app"
mkdir -p "$work"
cp -r ../app/build ../app/layers ../app/modules "$work/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$port" ../app/main.tf >"$work/main.tf" <<'PY'
import sys
port = sys.argv[1]
s = open(sys.argv[2]).read()
s = s[:s.index("# Built at apply time")]  # aws_lambda_function.unbuilt: its zip is never built
endpoints = "\n  endpoints {\n" + "".join(
    f'    {svc} = "http://127.0.0.1:{port}"\n' for svc in ("iam", "lambda", "sts")) + "  }\n}"
s = s.replace("  skip_region_validation      = true\n}", "  skip_region_validation      = true\n" + endpoints, 1)
sys.stdout.write(s)
PY
grep -q endpoints "$work/main.tf"

"$moto" -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null && break
  sleep 0.1
done

# What the configuration expects to exist: the functions' role, and the
# shared-utils layer NoHandlerFn names by ARN (version 7).
python3 - "$port" <<'PY'
import io, json, sys, urllib.request, zipfile
import boto3
url = f"http://127.0.0.1:{sys.argv[1]}"
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
boto3.client("iam", **kw).create_role(RoleName="layerkit-fixture", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.writestr("python/shared.py", "")
lam = boto3.client("lambda", **kw)
for _ in range(7):
    arn = lam.publish_layer_version(LayerName="shared-utils", Content={"ZipFile": b.getvalue()})["LayerVersionArn"]
assert arn.endswith(":shared-utils:7"), arn
PY

cat >"$tmp/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "hashicorp/aws" = "$(cd "$(dirname "$provider")" && pwd)"
  }
  direct {}
}
RC
[ "$(basename "$provider")" = terraform-provider-aws ] || { echo "the provider binary must be named terraform-provider-aws" >&2; exit 1; }
export TF_CLI_CONFIG_FILE="$tmp/terraformrc" TF_DATA_DIR="$tmp/data" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
unset AWS_PROFILE AWS_SESSION_TOKEN
(
  cd "$work"
  terraform get -no-color >/dev/null
  terraform apply -no-color -auto-approve -input=false >"$tmp/apply.log" || { cat "$tmp/apply.log" >&2; exit 1; }
  terraform show -json >"$tmp/state.json"
)
rm -rf build layers
cp -r "$work/build" "$work/layers" .
mv "$tmp/state.json" state.json
echo "state.json: $(wc -c <state.json) bytes, terraform $TERRAFORM_VERSION, moto $MOTO_VERSION"
