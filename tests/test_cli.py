"""The `pgnb` console script: --help lists the steps; a misspelt params key fails before anything runs, naming it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgnb.runner import make_demo_repo


def pgnb_script() -> str:
    script = Path(sys.executable).parent / "pgnb"
    found = str(script) if script.exists() else shutil.which("pgnb")
    if not found:
        pytest.fail("the `pgnb` console script is not installed (pip install -e .)")
    return found


def pgnb(*args, root=None):
    env = {**os.environ, **({"PGNB_ROOT": str(root)} if root else {})}
    return subprocess.run([pgnb_script(), *args], capture_output=True, text=True, env=env, timeout=300)


def test_help_lists_commands_and_steps(tmp_path):
    make_demo_repo(tmp_path)
    result = pgnb("--help", root=tmp_path)
    assert result.returncode == 0, result.stderr
    for word in ("run", "make", "study steps (pgnb run):", "demo/step", "tasks (pgnb make):"):
        assert word in result.stdout, result.stdout


def test_help_in_the_repository():
    result = pgnb("--help")
    assert result.returncode == 0, result.stderr
    assert "study steps (pgnb run):" in result.stdout


def test_misspelt_override_names_the_key(tmp_path):
    make_demo_repo(tmp_path)
    result = pgnb("run", "demo/step", "--set", "scael=2", root=tmp_path)
    assert result.returncode != 0
    assert "unknown key 'scael'" in result.stderr and "demo_step" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "results").exists()  # refused before executing


def test_misspelt_params_yaml_key_names_the_key(tmp_path):
    make_demo_repo(tmp_path, section=dict(n=3, sacle=0.5, label="x"))
    result = pgnb("run", "demo/step", root=tmp_path)
    assert result.returncode != 0
    assert "'sacle'" in result.stderr and "demo_step" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


def test_run_writes_the_executed_notebook(tmp_path):
    make_demo_repo(tmp_path)
    result = pgnb("run", "demo/step", "--set", "n=7", root=tmp_path)
    assert result.returncode == 0, result.stderr
    import nbformat
    nb = nbformat.read(tmp_path / "results/demo/01_step.ipynb", as_version=4)
    assert nb.metadata.pgnb["params"] == {"n": 7, "scale": 0.5, "label": "demo"}
    assert "start_time" not in (tmp_path / "results/demo/01_step.ipynb").read_text()


def test_unknown_step_is_one_line(tmp_path):
    make_demo_repo(tmp_path)
    result = pgnb("run", "demo/nope", root=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("pgnb: error: no study notebook for step 'demo/nope'"), result.stderr
