"""Helpers of the tiny-scale pipeline tests: a repository root with the real study notebooks and a shrunk
params.yaml, and the `pgnb` CLI run in it as DVC runs it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def make_tiny_repo(path: Path, tiny: dict[str, dict], studies: list[str] | None = None) -> Path:
    "A repository root at `path`: params.yaml with `tiny` overrides (one worker), the notebooks of `studies` (all)."
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["base"].update(workers=1)
    for section, values in tiny.items():
        params[section].update(values)
    path.mkdir(parents=True, exist_ok=True)
    (path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    shutil.copy(ROOT / "settings.ini", path / "settings.ini")
    source = ROOT / "nbs" / "studies"
    for study in studies or [p.name for p in source.iterdir() if p.is_dir()]:
        shutil.copytree(source / study, path / "nbs" / "studies" / study)
    return path


def pgnb(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    "Run `pgnb *args` with `root` as the repository root; assert that it succeeded."
    env = dict(os.environ, PGNB_ROOT=str(root))
    result = subprocess.run([sys.executable, "-m", "pgnb.cli", *args], cwd=root, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"pgnb {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def run_tiny_pipeline(path: Path, tiny: dict[str, dict], studies: list[str], *steps: str) -> Path:
    "`make_tiny_repo`, then each step (e.g. 'make gb/stgb', 'run gb/regions') through the CLI; the root."
    root = make_tiny_repo(path, tiny, studies)
    for step in steps:
        pgnb(root, *step.split())
    return root
