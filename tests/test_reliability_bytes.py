"""Same params, same bytes: every dataset task of the four studies, made twice at tiny scale in two fresh
repositories, writes byte-identical folders (records, tables, manifests; no wall-clock value anywhere)."""
import contextlib
import io
from pathlib import Path

import pytest
import yaml

from tiny_repo import ROOT, make_tiny_repo

TINY = {
    "polycrystal_voronoi": dict(n_samples=2, grid=8, grains_min=3, grains_max=5, n_elastic=1, max_iter=500),
    "polycrystal_extrapolation": dict(cube_sizes=[8], cubes_per_axis=1, grains_per_cube=3.0, max_iter=500),
    "gb_stgb": dict(axes=["100"], gbs_per_axis=1, translations=1, cutoffs=[2.0], thickness=14.0, min_inplane=8.0,
                    region=8.0),
    "gb_nanocrystal": dict(n_samples=1, boxes=[20.0], grains_min=2, grains_max=3),
    "li_dataset": dict(n_structures=2, families=["li3n", "rocksalt"], relax_steps=2, relax_max_atoms=8,
                       resolution=0.4, r_cut=8.0, graph_cutoff=5.0),
    "cathode_images": dict(n_images=1, size=48, n_steps=10),
}
TASKS = ["polycrystal/voronoi", "polycrystal/extrapolation", "gb/stgb", "gb/nanocrystal", "li/dataset",
         "cathode/images"]


def make_all(root: Path) -> dict[str, bytes]:
    "Run every dataset task in `root` (serially, in this process); every file they wrote → its bytes."
    from pgnb.cli import main
    from pgnb.core import temporary_environ
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["base"]["workers"] = 0
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for task in TASKS:
        err = io.StringIO()
        with temporary_environ(PGNB_ROOT=str(root), OMP_NUM_THREADS="1"), contextlib.redirect_stderr(err):
            assert main(["make", task]) == 0, f"{task}:\n{err.getvalue()[-3000:]}"
    artifacts = root / "artifacts"
    return {str(p.relative_to(artifacts)): p.read_bytes() for p in sorted(artifacts.rglob("*")) if p.is_file()}


def test_every_dataset_task_twice_gives_the_same_bytes(tmp_path):
    first = make_all(make_tiny_repo(tmp_path / "first", TINY, []))
    second = make_all(make_tiny_repo(tmp_path / "second", TINY, []))
    studies = {name.split("/")[0] for name in first}
    assert studies == {"polycrystal", "gb", "li", "cathode"}, studies
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"files differ between two runs with the same params: {differ}"
    assert sum(name.endswith(".npz") for name in first) == 2 + 1 + 1 + 1 + 2 + 1


def test_dvc_repro_on_a_new_commit_leaves_dvc_lock_unchanged(tmp_path):
    """The real stages polycrystal_voronoi and polycrystal_pgnn (executed notebook, model weights, metrics,
    figures, dvclive) at tiny scale under `dvc repro`; dvc.lock is committed and the pipeline forced to rerun on
    that new commit: dvc.lock is byte-identical (no timestamp, commit, wall time or temporary name in an output)."""
    import os
    import subprocess
    import sys
    from test_smoke_polycrystal import TINY as POLYCRYSTAL_TINY
    root = make_tiny_repo(tmp_path / "repo", POLYCRYSTAL_TINY, ["polycrystal"])
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    tiny = {}
    for name in ("polycrystal_voronoi", "polycrystal_pgnn"):    # the code is the installed package, not a dep here
        stage = dict(stages[name])
        # committed medium-scale results (tools/medium.py) are shown by the notebook when present: not in a tiny repo
        stage["deps"] = [d for d in stage.get("deps", [])
                         if not str(d).startswith(("pgnb/", "results/polycrystal/medium/"))]
        tiny[name] = stage
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": tiny}, sort_keys=False))
    (root / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    env = {**os.environ, "PGNB_ROOT": str(root), "OMP_NUM_THREADS": "1", "DVC_NO_ANALYTICS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

    def sh(*args):
        result = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout + result.stderr

    dvc = [sys.executable, "-m", "dvc"]
    sh("git", "init", "-q")
    sh(*dvc, "init", "-q")
    sh("git", "add", "-A")
    sh("git", "commit", "-q", "-m", "tiny pipeline")
    sh(*dvc, "repro", "-q")
    first = (root / "dvc.lock").read_text()
    assert "results/polycrystal/pgnn/model.pt" in first and "results/polycrystal/02_pgnn.ipynb" in first
    sh("git", "add", "-A")
    sh("git", "commit", "-q", "-m", "dvc.lock of the first run")   # a new HEAD: the rerun runs on another commit
    log = sh(*dvc, "repro", "-f")
    second = (root / "dvc.lock").read_text()
    assert second == first, "dvc.lock changed on a rerun:\n" + sh("git", "diff", "dvc.lock")
    assert "without encryption" not in log and "KeyboardInterrupt" not in log, log
    assert "up to date" in sh(*dvc, "status"), sh(*dvc, "status")
