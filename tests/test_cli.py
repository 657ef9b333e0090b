"""The `pgnb` console script: --help lists the steps; a misspelt params key fails before anything runs, naming it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from demo_repo import make_demo_repo


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
    # quiet: no ipykernel notice of TCP transport, no KeyboardInterrupt logged when the kernel shuts down
    for noise in ("without encryption", "KeyboardInterrupt", "Port 8787"):
        assert noise not in result.stderr + result.stdout, result.stderr
    assert "demo/step: took " in result.stdout, result.stdout   # the timing line, moved to the log


def test_summary_prints_headlines_and_the_steps_not_run(tmp_path):
    import json
    make_demo_repo(tmp_path)
    out = tmp_path / "results/cathode/segmentation"
    out.mkdir(parents=True)
    (out / "metrics.json").write_text(json.dumps({"unet": {"test": {"miou": 0.85}},
                                                  "graphs_from_unet": {"n_tpb": {"relative_deviation": 0.05}}}))
    result = pgnb("summary", root=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["step", "quantity", "ours", "paper", "agrees"], lines[0]
    assert any("U-Net test mIoU" in l and "0.850" in l and l.endswith("NO") for l in lines), result.stdout
    assert any("TPB count" in l and "+5.0 %" in l and l.endswith("yes") for l in lines), result.stdout
    assert "demo/step: not run (no results/demo/step/metrics.json)" in lines, result.stdout
    assert "li/learning: not run (no results/li/learning/metrics.json)" in lines, result.stdout
    assert len(lines) <= 50, "one screen"


def test_unknown_step_is_one_line(tmp_path):
    make_demo_repo(tmp_path)
    result = pgnb("run", "demo/nope", root=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("pgnb: error: no study notebook for step 'demo/nope'"), result.stderr
