"""What a new user sees: `git clone` of the committed HEAD (no DVC cache, no remote), then `dvc status`.

Without a remote a clone cannot hold DVC-cached outputs (datasets in artifacts/, executed notebooks, figures,
model weights), so "clean" means: every change `dvc status` reports is such an output being "not in cache", or
a stage dependency that is such an output ("deleted"). Everything tracked in git (code, params, study
notebooks, metrics, tables, curves) must match `dvc.lock`: after changing code or params, rerun the stages
(`dvc repro`) and commit dvc.lock. `dvc pull` from a remote, or `dvc repro`, then makes the status fully clean."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def cached_outputs(dvc_yaml: dict) -> set[str]:
    "Paths of stage outputs kept in the DVC cache (not in git): everything not marked `cache: false`."
    paths = set()
    for stage in dvc_yaml["stages"].values():
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind) or []:
                path, options = (next(iter(entry.items())) if isinstance(entry, dict) else (entry, {}))
                if (options or {}).get("cache", True):
                    paths.add(path)
    return paths


def unexpected_changes(status: dict, cached: set[str]) -> list[str]:
    "The entries of `dvc status --json` that a clone without the cache does not explain."
    def is_cached(path):
        return any(path == c or path.startswith(c.rstrip("/") + "/") for c in cached)
    problems = []
    for stage, changes in status.items():
        for change in changes:
            if isinstance(change, str):     # "always changed", "changed command", ...
                problems.append(f"{stage}: {change}")
                continue
            for kind, entries in change.items():
                for path, state in entries.items():
                    if isinstance(state, dict):   # params file: {key: state}
                        problems += [f"{stage}: {kind}: {path}: {key} {s}" for key, s in state.items()]
                    elif kind == "changed outs" and state == "not in cache" and is_cached(path):
                        continue
                    elif kind == "changed deps" and state == "deleted" and is_cached(path):
                        continue
                    else:
                        problems.append(f"{stage}: {kind}: {path} {state}")
    return problems


def test_classification_of_status_entries():
    cached = {"artifacts/a", "results/s/figures"}
    status = {"s1": [{"changed outs": {"artifacts/a": "not in cache"}}],
              "s2": [{"changed deps": {"artifacts/a": "deleted", "pgnb/core.py": "modified",
                                       "params.yaml": {"base.seed": "modified"}}},
                     {"changed outs": {"results/s/figures": "not in cache", "results/s/metrics.json": "deleted"}}],
              "s3": ["always changed"]}
    test = unexpected_changes(status, cached)
    assert test == ["s2: changed deps: pgnb/core.py modified", "s2: changed deps: params.yaml: base.seed modified",
                    "s2: changed outs: results/s/metrics.json deleted", "s3: always changed"], test


def test_fresh_clone_status_shows_only_what_the_missing_cache_explains(tmp_path):
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
    result = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=clone, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "DVC_NO_ANALYTICS": "1"})
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout or "{}")
    cached = cached_outputs(yaml.safe_load((clone / "dvc.yaml").read_text()))
    problems = unexpected_changes(status, cached)
    assert not problems, (f"{len(problems)} change(s) in a fresh clone that the missing DVC cache does not explain "
                          "(rerun the stages and commit dvc.lock, or commit the cache: false outputs):\n"
                          + "\n".join(problems[:60]))
