"""Tiny-scale run of the polycrystal pipeline through the CLI, as DVC runs it, plus determinism."""
import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "polycrystal_voronoi": dict(n_samples=6, grid=12, grains_min=4, grains_max=8, n_elastic=2),
    "polycrystal_extrapolation": dict(cube_sizes=[10, 11], cubes_per_axis=1, grains_per_cube=6.0),
    "polycrystal_data": dict(example_grid=16, example_grains=8, resolution_grids=[8, 12], resolution_grains=4, gap_samples=2),
}


def make_tiny_repo(path: Path) -> Path:
    "A repository root with the real notebooks and a tiny-scale params.yaml."
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["base"].update(workers=1)
    for section, values in TINY.items():
        params[section].update(values)
    path.mkdir(parents=True, exist_ok=True)
    (path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    shutil.copy(ROOT / "settings.ini", path / "settings.ini")
    shutil.copytree(ROOT / "nbs" / "studies", path / "nbs" / "studies")
    return path


def pgnb(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PGNB_ROOT=str(root))
    result = subprocess.run([sys.executable, "-m", "pgnb.cli", *args], cwd=root, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"pgnb {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    root = make_tiny_repo(tmp_path_factory.mktemp("repo"))
    pgnb(root, "make", "polycrystal/voronoi")
    pgnb(root, "make", "polycrystal/extrapolation")
    return root


def test_datasets_are_written(tiny_repo):
    assert len(list((tiny_repo / "artifacts/polycrystal/voronoi").glob("*.npz"))) == 6
    assert len(list((tiny_repo / "artifacts/polycrystal/extrapolation").glob("*.npz"))) == 2


def test_study_notebook_runs(tiny_repo):
    pgnb(tiny_repo, "run", "polycrystal/data")
    out = tiny_repo / "results" / "polycrystal"
    assert (out / "01_data.ipynb").exists()
    metrics = (out / "data" / "metrics.json").read_text()
    assert '"n_samples": 6' in metrics
    assert len(list((out / "data" / "figures").glob("*.png"))) >= 5


def test_same_params_give_identical_artifacts(tiny_repo, tmp_path):
    again = make_tiny_repo(tmp_path / "again")
    pgnb(again, "make", "polycrystal/voronoi")
    first, second = tiny_repo / "artifacts/polycrystal/voronoi", again / "artifacts/polycrystal/voronoi"
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert not mismatch and not errors, f"artifacts differ between identical runs: {mismatch or errors}"
