"""Tiny-scale run of the li learning half through the CLI, as DVC runs it: dataset → cached graphs → the study
notebook (IN-GCN, CGCNN and the random forest on two splits), the Fig. 6 sweep, and byte-identical metrics from
identical params."""
import json

import pytest

import tiny_repo as tiny_repo_tools
from tiny_repo import pgnb

TINY = {
    "li_dataset": dict(n_structures=12, families=["li3n", "rocksalt", "antiperovskite", "antifluorite"], relax_steps=0,
                       resolution=0.4, r_cut=8.0, graph_cutoff=5.0),
    "li_graphs": dict(crystal_cutoff=5.0),
    "li_learning": dict(n_splits=2, fractions=[0.6, 0.2, 0.2], epochs=3, patience=0,
                        models={"ingcn": {"model": "ingcn", "graphs": "in_nodes", "hidden": [16, 16, 16]},
                                "cgcnn": {"model": "cgcnn", "graphs": "crystal", "hidden": 16},
                                "random_forest": {"model": "random_forest", "graphs": "tabular", "n_estimators": 20}}),
    "li_sensitivity": dict(model={"model": "ingcn", "graphs": "in_nodes", "hidden": [8, 8, 8]}, lrs=[0.001, 0.01],
                           batch_sizes=[4, 8], batch_size=4, n_splits=2, fractions=[0.6, 0.2, 0.2], epochs=2),
}


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    return tiny_repo_tools.run_tiny_pipeline(tmp_path_factory.mktemp("repo"), TINY, ["li"],
                                             "make li/dataset", "make li/graphs", "run li/learning")


def test_graphs_are_cached(tiny_repo):
    from pgnb.li.graphs import KINDS, LiGraphDataset, load_graph_tables
    folder = tiny_repo / "artifacts/li/graphs"
    index, tabular, skipped = load_graph_tables(folder)
    assert len(index) + len(skipped) == 12 and len(index) >= 10 and len(tabular) == len(index)
    for kind in KINDS:
        assert len(LiGraphDataset(folder, kind)) == len(index)
    first = {k: (folder / f"{k}.pt").read_bytes() for k in KINDS}
    pgnb(tiny_repo, "make", "li/graphs")
    assert {k: (folder / f"{k}.pt").read_bytes() for k in KINDS} == first


def test_study_outputs(tiny_repo):
    out = tiny_repo / "results/li/learning"
    metrics = json.loads((out / "metrics.json").read_text())
    for model in TINY["li_learning"]["models"]:
        for metric in ("r2", "mae", "rmse"):
            assert set(metrics[model]["test"][metric]) == {"mean", "std"}
        assert metrics[model]["test"]["mae"]["mean"] > 0
    assert metrics["claim"]["crystal_graph_model"] == "cgcnn" and 0 <= metrics["claim"]["p_claim_ttest"] <= 1
    assert set(metrics["table2"]) == {"Li3N", "LLZO_cubic", "LiFePO4"}
    assert 0.1 < metrics["table2"]["Li3N"]["bvse"] < 0.4          # BVSE of the reference cell, 0.4 Å grid
    import pandas as pd
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 2 * 3 and set(scores.model) == set(TINY["li_learning"]["models"])
    predictions = pd.read_csv(out / "predictions.csv")
    n_test = round(0.2 * metrics["data"]["n_graphs"])
    assert len(predictions) == 2 * 3 * n_test
    assert {p.name for p in (out / "figures").glob("*.png")} == {"fig4_test_r2_mae.png", "parity.png",
                                                                  "fig5_accuracy_by_band.png"}
    assert (out / "dvclive" / "ingcn").is_dir()


def test_sensitivity_sweep(tiny_repo):
    pgnb(tiny_repo, "run", "li/sensitivity")
    out = tiny_repo / "results/li/sensitivity"
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["lr"]) == {"0.001", "0.01"} and set(metrics["batch_size"]) == {"4", "8"}
    # the centre point (lr 0.001, batch 4) is the same training in both sweeps
    assert metrics["lr"]["0.001"] == metrics["batch_size"]["4"]
    assert (out / "fig6_sensitivity.png").exists()


def test_same_params_same_metrics(tiny_repo):
    out = tiny_repo / "results/li/learning"
    first = (out / "metrics.json").read_bytes(), (out / "predictions.csv").read_bytes()
    pgnb(tiny_repo, "run", "li/learning")
    assert ((out / "metrics.json").read_bytes(), (out / "predictions.csv").read_bytes()) == first
