"""Tiny-scale run of the polycrystal pipeline through the CLI, as DVC runs it, plus determinism."""
import filecmp
import shutil
from pathlib import Path

import pytest
import yaml

import tiny_repo as tiny_repo_tools
from tiny_repo import pgnb

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "polycrystal_voronoi": dict(n_samples=6, grid=12, grains_min=4, grains_max=8, n_elastic=2),
    "polycrystal_extrapolation": dict(cube_sizes=[10, 11], cubes_per_axis=1, grains_per_cube=6.0),
    "polycrystal_data": dict(example_grid=16, example_grains=8, resolution_grids=[8, 12], resolution_grains=4, gap_samples=2),
    "polycrystal_pgnn": dict(patience=2, table2_epochs=2, tuned_epochs=2, readouts=["flatten"], readout_epochs=2,
                             ridge_alphas=[1.0], cnn_epochs=1, resnet_widths=[4, 8], resnet_blocks=[1, 1],
                             resnet_epochs=1, zoo_models={"gin": {"hidden": 8}}),   # a zoo member by params
    "polycrystal_selection": dict(model_overrides={"embedding": 8, "node_hidden": 8, "hidden": [8]}, batch_size=4,
                                  epochs=2, patience=2, seeds=[0, 1], node_groups=["II", "IV"],
                                  edge_configs=[["property"], ["thickness", "property"]]),
    "polycrystal_transfer": dict(model_overrides={"embedding": 8, "node_hidden": 8, "hidden": [8]}, flatten_max_nodes=40,
                                 batch_size=4, epochs=2, patience=2, seeds=[0, 1], transfer_batch_size=2,
                                 transfer_epochs=2, transfer_patience=2, ablation_train_sizes=[2, 4],
                                 ablation_repeats=2),
}


def make_tiny_repo(path: Path) -> Path:
    return tiny_repo_tools.make_tiny_repo(path, TINY, None)


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


def test_selection_notebook_runs(tiny_repo):
    pgnb(tiny_repo, "run", "polycrystal/selection")
    out = tiny_repo / "results" / "polycrystal"
    assert (out / "03_selection.ipynb").exists()
    metrics = yaml.safe_load((out / "selection" / "metrics.json").read_text())["selection"]
    assert set(metrics["nodes"]) == {"II", "IV", "II+IV"} and set(metrics["edges"]) == {"property", "thickness+property"}
    assert metrics["n_trainings"] == 8 and (out / "selection" / "figures" / "table3_selection.png").exists()


def test_transfer_notebook_runs(tiny_repo, tmp_path):
    # the transfer part needs >= 6 elastic records for a 80/10/10 split: a copy of the tiny repo with n_elastic = 6
    root = shutil.copytree(tiny_repo, tmp_path / "elastic")
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["polycrystal_voronoi"]["n_elastic"] = params["polycrystal_voronoi"]["n_samples"]
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    pgnb(root, "make", "polycrystal/voronoi")
    pgnb(root, "run", "polycrystal/transfer")
    out = root / "results" / "polycrystal"
    metrics = yaml.safe_load((out / "transfer" / "metrics.json").read_text())
    assert set(metrics["extrapolation"]["mean"]) == {"voronoi_test", "cube10", "cube11"}
    assert set(metrics["transfer"]["transferred"]["test"]["mare"]) == {"c11", "c12", "c44"}
    assert set(metrics["transfer"]["ablation"]) == {"n2", "n4"}
    assert len(list((out / "transfer" / "figures").glob("*.png"))) == 4


def test_pgnn_notebook_runs(tiny_repo):
    pgnb(tiny_repo, "run", "polycrystal/pgnn")
    out = tiny_repo / "results" / "polycrystal"
    assert (out / "02_pgnn.ipynb").exists()
    metrics = yaml.safe_load((out / "pgnn" / "metrics.json").read_text())
    for model in ("pgnn", "pgnn_table2", "pgnn_flatten", "zoo_gin", "ridge", "cnn", "resnet"):
        assert set(metrics[model]["test"]["mare"]) == {"kxx", "kyy", "kzz"}, model
    assert metrics["data"]["n_train"] == 4 and metrics["data"]["n_test"] == 1
    assert (out / "pgnn" / "model.pt").exists() and (out / "pgnn" / "model_flatten.pt").exists()
    assert (out / "pgnn" / "figures" / "fig4_parity.png").exists()
    assert (out / "pgnn" / "dvclive" / "pgnn" / "plots" / "metrics" / "val" / "loss.tsv").exists()
