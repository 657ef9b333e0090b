"""Tiny-scale run of the gb pipeline through the CLI, as DVC runs it: STGB database, nanocrystals, study notebook."""
import json
from pathlib import Path

import pandas as pd
import pytest

import tiny_repo as tiny_repo_tools
from tiny_repo import pgnb

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "gb_stgb": dict(axes=["100", "110"], gbs_per_axis=1, translations=2, cutoffs=[2.0], thickness=14.0,
                    min_inplane=8.0, region=8.0),
    "gb_nanocrystal": dict(n_samples=1, boxes=[20.0], grains_min=2, grains_max=3),
    "gb_database": dict(reference_translations=1, reference_cutoffs=[2.0], protocol_translations=1, sfd_region=6.0),
}


def make_tiny_repo(path: Path) -> Path:
    return tiny_repo_tools.make_tiny_repo(path, TINY, ["gb"])


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    root = make_tiny_repo(tmp_path_factory.mktemp("gbrepo"))
    pgnb(root, "make", "gb/stgb")
    pgnb(root, "make", "gb/nanocrystal")
    return root


def test_stgb_database_is_written(tiny_repo):
    out = tiny_repo / "artifacts" / "gb" / "stgb"
    table = pd.read_csv(out / "records.csv", keep_default_na=False)
    assert len(table) == 2 * 4 and len(list(out.glob("*.npz"))) == 8
    assert set(table.axis.astype(str)) == {"100", "110"} and not table.failed.any()
    assert {"sigma", "theta", "plane", "tx", "ty", "cutoff", "gb_energy", "gb_energy_exact", "n_atoms",
            "duplicate_of"} <= set(table)
    assert table.gb_energy.between(0, 2000).all()
    assert len(list((out / "xyz").glob("*.xyz"))) == 8
    assert json.loads((out / "summary.json").read_text())["n_states"] == 8


def test_stgb_is_resumed(tiny_repo):
    out = tiny_repo / "artifacts" / "gb" / "stgb"
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.npz")}
    victim = sorted(stamps)[0]
    (out / victim).unlink()
    pgnb(tiny_repo, "make", "gb/stgb")
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.npz")}
    assert set(after) == set(stamps)
    assert [k for k in stamps if after[k] != stamps[k]] == [victim]


def test_nanocrystal_is_written(tiny_repo):
    out = tiny_repo / "artifacts" / "gb" / "nanocrystal"
    assert len(list(out.glob("*.npz"))) == 1 and len(list((out / "xyz").glob("*.xyz"))) == 1


def test_study_notebook_runs(tiny_repo):
    pgnb(tiny_repo, "run", "gb/database")
    out = tiny_repo / "results" / "gb"
    assert (out / "01_database.ipynb").exists()
    metrics = json.loads((out / "database" / "metrics.json").read_text())
    assert metrics["n_states"] == 8 and metrics["n_failed"] == 0 and len(metrics["reference"]) == 5
    # the untranslated Σ5(310) state, r_c = 2 Å: whole-cell free-surface energy = literal periodic protocol
    s5 = metrics["reference"]["Σ5(310)"]
    assert abs(s5["periodic"] - s5["exact"]) < 0.1 and abs(s5["computed"] - s5["exact"]) < 5
    reference = pd.read_csv(out / "database" / "reference_energies.csv")
    assert {"computed_mJ_m2", "exact_mJ_m2", "periodic_mJ_m2", "literature_mJ_m2"} <= set(reference)
    figures = {p.name for p in (out / "database" / "figures").glob("*.png")}
    assert {"fig1_gb_energy.png", "examples_energy.png", "figS10_sfd_distributions.png", "energy_density.png"} <= figures
