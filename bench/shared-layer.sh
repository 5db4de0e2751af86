#!/usr/bin/env bash
# Checks one layer alone, then a CDK cloud assembly of 50 functions that
# all attach that layer (each with its own small code asset), and prints
# the ratio of their best wall times: the layer is read once however many
# functions share it. Both as a folder and as a zip asset.
#
#   bench/fetch-layers.sh                          # once: real 200 MB arm64 layers
#   bench/shared-layer.sh [LAYER_FOLDER] [RUNS]    # default bench/data/pypi-arm64, best of 5
#
# The assembly is written under bench/data/ (git-ignored) so that the layer
# is hard-linked into it rather than copied.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$(cd "${1:-$here/data/pypi-arm64}" && pwd)
runs=${2:-5}
functions=50
mkdir -p "$here/data"
work=$(mktemp -d "$here/data/.shared-layer.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit)
out="$work/cdk.out"
mkdir -p "$out"
cp -al "$src" "$out/asset.layer"
"$work/layerkit" build "$src" --out "$work/dist" >/dev/null 2>&1
cp "$work/dist/main.zip" "$out/asset.layerzip.zip"
cp "$work/dist/main.zip" "$work/layer.zip"

# Two assemblies sharing the code assets and the layer (hard links): one
# attaches the layer as a folder asset, the other as a zip asset.
python3 - "$work" "$functions" <<'PY'
import json, os, sys
work, n = sys.argv[1], int(sys.argv[2])
for variant, layer_asset in (("Folder", "asset.layer"), ("Zip", "asset.layerzip.zip")):
    asm = os.path.join(work, "asm-" + variant)
    os.makedirs(asm)
    res = {"Layer": {"Type": "AWS::Lambda::LayerVersion",
                     "Properties": {"Content": {"S3Bucket": "b", "S3Key": "layer.zip"}, "CompatibleRuntimes": ["python3.12"]},
                     "Metadata": {"aws:asset:path": layer_asset}}}
    for i in range(n):
        d = f"asset.fn{i:03d}"
        os.makedirs(os.path.join(asm, d))
        with open(os.path.join(asm, d, "app.py"), "w") as f:
            f.write("def handler(event, context):\n    return 'ok'\n")
        res[f"Fn{i:03d}"] = {"Type": "AWS::Lambda::Function",
            "Properties": {"Runtime": "python3.12", "Architectures": ["arm64"], "Handler": "app.handler",
                           "Code": {"S3Bucket": "b", "S3Key": f"fn{i:03d}.zip"}, "Layers": [{"Ref": "Layer"}]},
            "Metadata": {"aws:asset:path": d}}
    with open(os.path.join(asm, variant + ".template.json"), "w") as f:
        json.dump({"Resources": res}, f)
    with open(os.path.join(asm, "manifest.json"), "w") as f:
        json.dump({"version": "48.0.0", "artifacts": {variant: {"type": "aws:cloudformation:stack",
                   "environment": "aws://unknown-account/unknown-region", "properties": {"templateFile": variant + ".template.json"}}}}, f)
PY
for v in Folder Zip; do   # the layer hard-linked in (a symlink out of the assembly is refused)
  cp -al "$out/asset.layer" "$work/asm-$v/asset.layer"
  ln "$out/asset.layerzip.zip" "$work/asm-$v/asset.layerzip.zip"
done

files=$(find "$src" -type f | wc -l)
echo "layer: $src: $files files, $(du -sb "$src" | cut -f1) bytes; $functions functions; $(nproc) cores; best of $runs"
find "$src" -type f -exec cat {} + >/dev/null   # warm the page cache

declare -A T
measure() {
  local name=$1; shift
  local best=""
  for _ in $(seq "$runs"); do
    local t0=$EPOCHREALTIME rc=0
    "$@" >/dev/null 2>"$work/err" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then cat "$work/err" >&2; echo "bench: $name exited $rc" >&2; exit 1; fi
    local sec
    sec=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.4f", b-a}')
    if [ -z "$best" ] || awk "BEGIN{exit !($sec < $best)}"; then best=$sec; fi
  done
  T[$name]=$best
}
flags=(--format json)
measure "layer folder alone" "$work/layerkit" check "$out/asset.layer" --runtime python3.12 --arch arm64 "${flags[@]}"
measure "50 functions, folder" "$work/layerkit" check "$work/asm-Folder" "${flags[@]}"
measure "layer zip alone" "$work/layerkit" check "$work/layer.zip" --runtime python3.12 --arch arm64 "${flags[@]}"
measure "50 functions, zip" "$work/layerkit" check "$work/asm-Zip" "${flags[@]}"

printf '\n%-22s %9s\n' check seconds
for n in "layer folder alone" "50 functions, folder" "layer zip alone" "50 functions, zip"; do
  printf '%-22s %9s\n' "$n" "${T[$n]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3fx", a/b}'; }
echo
echo "50 functions / layer alone (folder): $(ratio "${T[50 functions, folder]}" "${T[layer folder alone]}")"
echo "50 functions / layer alone (zip):    $(ratio "${T[50 functions, zip]}" "${T[layer zip alone]}")"
