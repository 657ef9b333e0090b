"""Tiny-scale run of the cathode learning steps through the CLI, as DVC runs them: segmentation set → U-Net
study (weights, analysis-image phase maps, metrics) → GNN study on the U-Net's graphs."""
import json

import pytest

import tiny_repo as tiny_repo_tools
from tiny_repo import pgnb

TINY = {"cathode_images": dict(n_images=4, size=128, hold_s=900.0),
        "cathode_segimages": dict(n_images=6, size=64),
        "cathode_segmentation": dict(width=4, crop=32, crops_per_image=2, epochs=2, patience=2),
        # the graph baseline swapped to another zoo member by a params change (issue #15)
        "cathode_gnn": dict(n_splits=2, max_epochs=5, patience=5, rf_trees=10, phase_source="true",
                            model_hparams=dict(hidden=8, edge_hidden=8, layers=2, dropout=0.1),
                            graph_baseline="gat", graph_baseline_hparams=dict(hidden=8))}


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    root = tiny_repo_tools.make_tiny_repo(tmp_path_factory.mktemp("repo"), TINY, ["cathode"])
    pgnb(root, "make", "cathode/images")
    pgnb(root, "make", "cathode/segimages")
    return root


def test_segmentation_step_runs(tiny_repo):
    pgnb(tiny_repo, "run", "cathode/segmentation")
    out = tiny_repo / "results" / "cathode"
    assert (out / "02_segmentation.ipynb").exists()
    metrics = json.loads((out / "segmentation" / "metrics.json").read_text())
    for key in ("unet", "unet_plain"):
        assert 0 <= metrics[key]["test"]["miou"] <= 1
        assert set(metrics[key]["test"]["iou"]) == {"background", "SSE", "NMC", "graphite"}
    assert metrics["graphs_from_unet"]["n_images"] == 4
    assert metrics["graphs_from_unet"]["n_tpb"]["truth"] >= 0
    unet = tiny_repo / "artifacts" / "cathode" / "unet"
    assert {p.name for p in unet.iterdir()} >= {"unet_dual_attention.pt", "unet.pt", "analysis_phase.npz"}
    assert (out / "segmentation" / "figures" / "fig2_s2_segmentation.png").exists()


def test_gnn_step_runs(tiny_repo):
    pgnb(tiny_repo, "run", "cathode/gnn")
    metrics = json.loads((tiny_repo / "results" / "cathode" / "gnn" / "metrics.json").read_text())
    assert set(metrics["gnn"]["test"]["rmse"]) == {"soc", "heterogeneity", "polarization"}
    assert set(metrics["gnn_baselines"]) == {"mean", "rf", "rf_size", "homo_gnn"}
    assert metrics["gnn"]["n_splits"] == 2 and metrics["gnn"]["n_images"] == 4
    assert (tiny_repo / "results" / "cathode" / "gnn" / "figures" / "fig6bcd_parity.png").exists()


def test_bad_analysis_image_stops_the_step_naming_it(tiny_repo):
    "Runs last: an empty X-ray image among the analysis records stops the segmentation step before training."
    import os
    import subprocess
    import sys

    import numpy as np
    from pgnb.parallel import load_result, save_result
    path = tiny_repo / "artifacts" / "cathode" / "images" / "image_0001.npz"
    record = load_result(path)
    save_result(path, {**record, "xray_below": np.zeros_like(record["xray_below"])})
    result = subprocess.run([sys.executable, "-m", "pgnb.cli", "run", "cathode/segmentation"], cwd=tiny_repo,
                            env=dict(os.environ, PGNB_ROOT=str(tiny_repo)), capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "image_0001: xray_below is empty" in result.stdout + result.stderr
    assert not (tiny_repo / "artifacts" / "cathode" / "unet" / "unet.pt").exists()  # stopped before any training
