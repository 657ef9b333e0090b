"""Tiny-scale run of the cathode pipeline through the CLI, as DVC runs it, plus determinism and resumability."""
import filecmp
import json
from pathlib import Path

import pytest
import yaml

import tiny_repo as tiny_repo_tools
from tiny_repo import pgnb

ROOT = Path(__file__).resolve().parents[1]
TINY = {"cathode_images": dict(n_images=4, size=128, hold_s=900.0)}


def make_tiny_repo(path: Path) -> Path:
    return tiny_repo_tools.make_tiny_repo(path, TINY, ["cathode"])


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    root = make_tiny_repo(tmp_path_factory.mktemp("repo"))
    pgnb(root, "make", "cathode/images")
    return root


def test_images_are_written(tiny_repo):
    out = tiny_repo / "artifacts/cathode/images"
    assert sorted(p.name for p in out.glob("*.npz")) == [f"image_{i:04d}.npz" for i in range(4)]
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["params"]["size"] == 128 and "n_images" not in manifest["params"]


def test_same_params_give_identical_images_and_resume(tiny_repo, tmp_path):
    again = make_tiny_repo(tmp_path / "again")
    params = yaml.safe_load((again / "params.yaml").read_text())
    params["cathode_images"]["n_images"] = 2  # make 2, then resume to 4: only the missing ones are made
    (again / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    pgnb(again, "make", "cathode/images")
    first = again / "artifacts/cathode/images/image_0000.npz"
    stamp = first.stat().st_mtime_ns
    pgnb(again, "make", "cathode/images", "--set", "n_images=4")
    assert first.stat().st_mtime_ns == stamp
    a, b = tiny_repo / "artifacts/cathode/images", again / "artifacts/cathode/images"
    names = sorted(p.name for p in a.glob("*.npz"))
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    # factorisation timings are part of a record: compare the arrays that are not timings
    import numpy as np
    for name in mismatch:
        with np.load(a / name) as x, np.load(b / name) as y:
            for key in x.files:
                if not key.endswith("factor_s"):
                    assert np.array_equal(x[key], y[key], equal_nan=True), (name, key)
    assert not errors


def test_study_notebook_runs(tiny_repo):
    pgnb(tiny_repo, "run", "cathode/graphs")
    out = tiny_repo / "results" / "cathode"
    assert (out / "01_graphs.ipynb").exists()
    metrics = json.loads((out / "graphs" / "metrics.json").read_text())["cathode"]
    assert metrics["n_images"] == 4 and metrics["n_nmc"] > 0
    assert set(metrics["table_s1"]) == {f"{f}_{s}" for f in ("tpb", "channel") for s in ("soc", "heterogeneity", "polarization")}
    assert metrics["solver"]["residual_max"] < 1e-8
    assert len(list((out / "graphs" / "figures").glob("*.png"))) >= 6
    assert (out / "graphs" / "tables" / "nmc_table.csv").exists()
