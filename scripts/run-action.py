#!/usr/bin/env python3
"""Runs a composite GitHub Action's steps (action.yml) as the runner would,
for scripts/test-action.sh: each step's `run` under its `shell` (bash), with
its `env`, where `${{ inputs.NAME }}` is the INPUT_NAME environment variable
(or the input's default), `${{ github.action_path }}` is GITHUB_ACTION_PATH,
`${{ github.action_ref }}` is GITHUB_ACTION_REF and `${{ runner.os }}` is
RUNNER_OS. Any other expression is an error, so the action stays within what
this runner understands. Exits with the first failing step's code; prints
each step's outputs (from GITHUB_OUTPUT) as the runner records them.

    scripts/run-action.py action.yml
"""
import os
import re
import subprocess
import sys

import yaml


def main():
    with open(sys.argv[1]) as f:
        action = yaml.safe_load(f)
    if action["runs"]["using"] != "composite":
        sys.exit("only composite actions")
    inputs = action.get("inputs", {})

    def value(expr):
        expr = expr.strip()
        m = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expr)
        if m:
            name = m.group(1)
            if name not in inputs:
                sys.exit(f"action.yml: no input {name}")
            env = "INPUT_" + name.replace(" ", "_").replace("-", "_").upper()  # fail-on: INPUT_FAIL_ON
            return os.environ.get(env, str(inputs[name].get("default", "")))
        known = {"github.action_path": "GITHUB_ACTION_PATH", "github.action_ref": "GITHUB_ACTION_REF", "runner.os": "RUNNER_OS"}
        if expr in known:
            return os.environ.get(known[expr], "")
        sys.exit(f"action.yml: expression ${{{{ {expr} }}}} is not one run-action.py knows")

    def expand(s):
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: value(m.group(1)), str(s))

    for step in action["runs"]["steps"]:
        if "uses" in step:
            sys.exit(f"step {step.get('name')}: uses is not run locally")
        if step.get("shell") != "bash":
            sys.exit(f"step {step.get('name')}: shell {step.get('shell')}, want bash")
        if "if" in step:
            sys.exit(f"step {step.get('name')}: if is not run locally")
        env = dict(os.environ)
        # A step sees the inputs only through what its env passes on.
        env = {k: v for k, v in env.items() if not k.startswith("INPUT_")}
        for k, v in step.get("env", {}).items():
            env[k] = expand(v)
        print(f"::group::{step.get('name')}", flush=True)
        code = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step["run"])], env=env)
        print("::endgroup::", flush=True)
        if code != 0:
            sys.exit(code)


if __name__ == "__main__":
    main()
