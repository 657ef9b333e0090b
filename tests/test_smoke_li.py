"""Tiny-scale run of the li pipeline through the CLI, as DVC runs it: dataset stage, resume, study notebook,
byte-identical records from identical params (CHGNet relaxation included)."""
import json
from pathlib import Path

import pytest

import tiny_repo as tiny_repo_tools
from tiny_repo import pgnb

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "li_dataset": dict(n_structures=4, families=["li3n", "rocksalt", "antiperovskite", "olivine"], relax_steps=2,
                       relax_max_atoms=8, resolution=0.3, r_cut=8.0, graph_cutoff=5.0),
    "li_data": dict(reference_settings=[[0.4, "ase"]], reference_r_cut=8.0),
}


def make_tiny_repo(path: Path) -> Path:
    return tiny_repo_tools.make_tiny_repo(path, TINY, ["li"])


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    root = make_tiny_repo(tmp_path_factory.mktemp("repo"))
    pgnb(root, "make", "li/dataset")
    return root


def test_dataset_is_written(tiny_repo):
    records = sorted((tiny_repo / "artifacts/li/dataset").glob("*.npz"))
    assert [p.stem.split("__")[0] for p in records].count("olivine") == 1 and len(records) == 4
    from pgnb.li.dataset import load_records
    table = load_records(tiny_repo / "artifacts/li/dataset")
    assert not table.failed.any(), table.reason.tolist()
    li3n = table[table.family == "li3n"].iloc[0]
    assert 0.1 < li3n.ea_1d < 0.4 and li3n.in_nodes > 0 and li3n.cg_edges > 0


def test_rerun_resumes(tiny_repo):
    records = sorted((tiny_repo / "artifacts/li/dataset").glob("*.npz"))
    stamps = {p.name: p.stat().st_mtime_ns for p in records}
    pgnb(tiny_repo, "make", "li/dataset")
    assert {p.name: p.stat().st_mtime_ns for p in records} == stamps


def test_study_notebook_runs(tiny_repo):
    pgnb(tiny_repo, "run", "li/data")
    out = tiny_repo / "results" / "li"
    assert (out / "01_data.ipynb").exists()
    metrics = json.loads((out / "data" / "metrics.json").read_text())
    assert metrics["data"]["n_structures"] == 4 and metrics["data"]["n_failed"] == 0
    assert set(metrics["reference"]) == {f"{name}@0.4A_ase" for name in ("Li3N", "LLZO_cubic", "LLZO_tetragonal", "LiFePO4")}
    assert len(list((out / "data" / "figures").glob("*.png"))) == 3
    assert (out / "data" / "reference_ea.csv").exists()


def test_same_params_give_identical_records(tiny_repo, tmp_path):
    import filecmp
    again = make_tiny_repo(tmp_path / "again")
    pgnb(again, "make", "li/dataset")
    first, second = tiny_repo / "artifacts/li/dataset", again / "artifacts/li/dataset"
    names = sorted(p.name for p in first.glob("*.npz"))
    assert names == sorted(p.name for p in second.glob("*.npz"))
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert not mismatch and not errors, f"records differ between identical runs: {mismatch or errors}"
