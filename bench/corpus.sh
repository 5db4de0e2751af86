#!/usr/bin/env bash
# Checks every layer of the corpus with `layerkit check`, once each, and
# prints a Markdown table (one row per package and architecture), then the
# paths behind each error rule; writes the same as JSON.
#
#   bench/fetch-corpus.sh                  # once: fetch the corpus (see there)
#   bench/corpus.sh                        # layerkit built from this repo
#   LK=/tmp/layerkit bench/corpus.sh       # a given layerkit binary
#   OUT=/tmp/summary.json bench/corpus.sh  # where the JSON goes (default bench/data/corpus/summary.json)
#
# Runtimes: npm layers nodejs22.x, pypi python3.12, pypi39 python3.9.
# Verdict: "errors" when check reports an error; "clean" when it reports none
# and the package's binary for the target is in the layer; otherwise what
# fetch-corpus.sh recorded ("unreachable": the binary is downloaded from
# outside the registries; "compile": only a compiler makes it): never a pass.
# The fetch column: "ok" the binary came with npm install alone, "ok (script)"
# the package has an install script but its binary for the target is there
# without it, "unreachable"/"compile" as above; for wheels, the platform tag.
# The raw reports stay in bench/data/corpus/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
corpus="$here/data/corpus"
out=${OUT:-$corpus/summary.json}
[ -d "$corpus/meta" ] || { echo "corpus: no corpus in $corpus: run bench/fetch-corpus.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${LK:-}" ]; then
  (cd "$repo" && go build -o "$work/layerkit" ./cmd/layerkit)
  LK="$work/layerkit"
fi
rm -rf "$corpus/results"; mkdir -p "$corpus/results"

t0=$EPOCHREALTIME
n=0
while IFS= read -r m; do
  rel=${m#"$corpus/meta/"}; rel=${rel%.json}          # eco/arch/pkg
  IFS=/ read -r eco arch name <<<"$rel"
  case $eco in
    npm) runtime=nodejs22.x ;;
    pypi) runtime=python3.12 ;;
    pypi39) runtime=python3.9 ;;
    *) continue ;;
  esac
  res="$corpus/results/$eco-$arch-$name"
  grep -q '"status": "failed"' "$m" && continue
  rc=0
  s=$EPOCHREALTIME
  "$LK" check "$corpus/$rel" --runtime "$runtime" --arch "$arch" --format json >"$res.json" 2>"$res.err" || rc=$?
  # Exit 3 is findings; anything else but 0 is a check that did not run.
  echo "$rc $(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')" >"$res.rc"
  n=$((n + 1))
done < <(find "$corpus/meta" -name '*.json' | sort)
elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')

python3 - "$corpus" "$out" "$elapsed" "$n" <<'EOF'
import collections, json, os, sys

corpus, out, elapsed, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
runtimes = {"npm": "nodejs22.x", "pypi": "python3.12", "pypi39": "python3.9"}
eco_order = {"npm": 0, "pypi": 1, "pypi39": 2}
rows = []
for eco in sorted(os.listdir(os.path.join(corpus, "meta")), key=lambda e: eco_order.get(e, 9)):
    for arch in sorted(os.listdir(os.path.join(corpus, "meta", eco))):
        d = os.path.join(corpus, "meta", eco, arch)
        for f in sorted(os.listdir(d)):
            meta = json.load(open(os.path.join(d, f)))
            name = f[:-len(".json")]
            row = {
                "package": meta["package"], "ecosystem": eco, "arch": arch,
                "runtime": runtimes.get(eco, ""), "layer": os.path.join(eco, arch, name),
                "fetch": meta["status"], "version": meta.get("version", ""),
                "wheel": meta.get("wheel", ""), "platform": meta.get("platform", ""),
                "needs_script": meta.get("needs_script", ""), "native": meta.get("native", ""),
                "fetch_note": meta.get("note", ""),
            }
            res = os.path.join(corpus, "results", f"{eco}-{arch}-{name}")
            if meta["status"] == "failed":
                row["verdict"] = "not fetched"
                rows.append(row)
                continue
            if not os.path.exists(res + ".rc"):
                row["verdict"] = "not checked"  # fetched after the checks began
                rows.append(row)
                continue
            rc, sec = open(res + ".rc").read().split()
            row["check_exit"], row["check_seconds"] = int(rc), float(sec)
            if int(rc) not in (0, 3):
                row["verdict"] = "check failed"
                row["check_error"] = open(res + ".err").read().strip()[-300:]
                rows.append(row)
                continue
            report = json.load(open(res + ".json"))
            summ = report["summary"]
            row["files"], row["errors"], row["warnings"] = summ["files"], summ["errors"], summ["warnings"]
            counts = collections.Counter()
            wcounts = collections.Counter()
            paths = collections.defaultdict(lambda: collections.defaultdict(list))
            for fd in report.get("findings") or []:
                if fd["severity"] == "error":
                    counts[fd["rule"]] += 1
                    folder, base = os.path.split(fd.get("path", ""))
                    paths[fd["rule"]][folder + "/"].append(base)
                elif fd["severity"] == "warning":
                    wcounts[fd["rule"]] += 1
            row["error_rules"] = dict(sorted(counts.items()))
            row["warning_rules"] = dict(sorted(wcounts.items()))
            row["error_paths"] = {r: {d: sorted(b) for d, b in sorted(p.items())} for r, p in sorted(paths.items())}
            if summ["errors"]:
                row["verdict"] = "errors"
            elif meta["status"] == "ok":
                row["verdict"] = "clean"
            else:
                row["verdict"] = meta["status"]
            rows.append(row)

def rules(d):
    return " ".join(f"{r}×{c}" for r, c in d.items()) or "-"

def fetched(r):
    if r["ecosystem"] == "npm":
        s = r["fetch"]
        return s if not r["needs_script"] or s != "ok" else "ok (script)"
    return r["platform"] or r["fetch"]

print("| package | ecosystem | arch | version | fetch (npm) / wheel tag | files | errors | warnings | error rules | verdict |")
print("|---|---|---|---|---|---:|---:|---:|---|---|")
for r in rows:
    ver = r["version"] or (r["wheel"].split("-")[1] if r["wheel"] else "")
    print(f"| {r['package']} | {r['ecosystem']} | {r['arch']} | {ver} | {fetched(r)} | {r.get('files', '-')} | "
          f"{r.get('errors', '-')} | {r.get('warnings', '-')} | {rules(r.get('error_rules', {}))} | {r['verdict']} |")

verdicts = collections.Counter(r["verdict"] for r in rows)
total_rules = collections.Counter()
for r in rows:
    total_rules.update(r.get("error_rules", {}))
print()
slow = max((r for r in rows if "check_seconds" in r), key=lambda r: r["check_seconds"], default=None)
print(f"{len(rows)} layers, {n} checked in {elapsed:.1f} s"
      + (f" (slowest {slow['layer']} {slow['check_seconds']:.2f} s)" if slow else "") + ": " + ", ".join(f"{v} {c}" for v, c in sorted(verdicts.items())))
print("error rules over all layers: " + rules(dict(sorted(total_rules.items()))))

print()
print("Paths behind the errors (folder: files):")
for r in rows:
    for rule, ps in r.get("error_paths", {}).items():
        print(f"- {r['package']} {r['ecosystem']} {r['arch']} {rule}: " +
              "; ".join(f"{d} {' '.join(sorted(set(b)))}" for d, b in ps.items()))
scripted = [r for r in rows if r["fetch"] in ("unreachable", "compile")]
if scripted:
    print()
    print("Binary for the target only from the install script (unreachable: downloaded from outside the registries; compile: built by node-gyp):")
    for r in scripted:
        print(f"- {r['package']} {r['ecosystem']} {r['arch']}: {r['fetch']}: {r['needs_script']}"
              + (f" [{r['fetch_note']}]" if r["fetch_note"] else ""))
failed = [r for r in rows if r["verdict"] in ("not fetched", "not checked", "check failed")]
if failed:
    print()
    print("Not fetched or not checked:")
    for r in failed:
        print(f"- {r['package']} {r['ecosystem']} {r['arch']}: {r['verdict']}: {r.get('check_error') or r['fetch_note']}")

with open(out, "w") as f:
    json.dump({"seconds": elapsed, "checked": n, "verdicts": dict(verdicts),
               "error_rules": dict(sorted(total_rules.items())), "layers": rows}, f, indent=1)
print(f"\nsummary: {out}")
EOF
