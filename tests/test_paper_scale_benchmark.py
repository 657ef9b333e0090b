"""benchmarks/paper_scale_pgnn.py (issue #13: one paper-scale path) reads its settings from params.yaml + the scale
overlay, makes its samples with the dataset's own sample maker (the batched-GPU path gives the pipeline's records,
checked here on the CPU), and writes a summary in the layout of the committed H100 one."""
import importlib.util
import json
import resource
import sys

import numpy as np
import pytest

from pgnb.core import read_params_file, read_scale, repo_root, validate_params
from pgnb.polycrystal.dataset import make_voronoi_sample, voronoi_key
from pgnb.polycrystal.graph import build_grain_graph

ROOT = repo_root()
spec = importlib.util.spec_from_file_location("paper_scale_pgnn", ROOT / "benchmarks" / "paper_scale_pgnn.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["paper_scale_pgnn"] = bench
spec.loader.exec_module(bench)

TINY = ["polycrystal_voronoi.n_samples=24", "polycrystal_voronoi.grid=12", "polycrystal_voronoi.grains_min=3",
        "polycrystal_voronoi.grains_max=8", "polycrystal_pgnn.tuned_epochs=2", "polycrystal_pgnn.cnn_epochs=1",
        "polycrystal_pgnn.cnn_padding=2", "polycrystal_pgnn.resnet_epochs=1"]


def test_settings_are_params_yaml_with_the_overlay():
    cfg = bench.settings("paper", [])
    paper, params = read_scale("paper"), read_params_file()
    assert cfg["voronoi"].n_samples == paper["polycrystal_voronoi"]["n_samples"] == 5000
    assert cfg["voronoi"].grid == 64 and cfg["voronoi"].n_elastic == 0   # conductivity study
    assert cfg["pgnn"].tuned_epochs == paper["polycrystal_pgnn"]["tuned_epochs"]
    assert cfg["pgnn"].tuned_lr == params["polycrystal_pgnn"]["tuned_lr"]   # not in the overlay: params.yaml's
    assert cfg["base"].seed == params["base"]["seed"]
    assert bench.settings("default", ["polycrystal_voronoi.n_samples=7"])["voronoi"].n_samples == 7
    with pytest.raises(SystemExit, match="expected <section>.<key>"):
        bench.settings("paper", ["polycrystal_voronoi.nope=1"])


def test_batched_path_makes_the_pipelines_records():
    values = {**read_params_file()["polycrystal_voronoi"], "n_samples": 3, "grid": 12, "grains_min": 3,
              "grains_max": 8, "n_elastic": 0}
    params = validate_params("polycrystal_voronoi", values)
    batch = bench.split_batch(bench.make_voronoi_batch((0, 1, 2), params, 2024, "cpu", "float64"))
    assert sorted(batch) == [voronoi_key(i) for i in range(3)]
    for i in range(3):
        ref, got = make_voronoi_sample(i, params, 2024), batch[voronoi_key(i)]
        for name in ("labels", "grain_euler", "gb_euler", "index", "n_seeds") + tuple(k for k in ref if k.startswith("prop_")):
            assert np.array_equal(ref[name], got[name]), name          # the same draws, bit for bit
        np.testing.assert_allclose(got["kappa_eff"], ref["kappa_eff"], rtol=1e-6)   # batched vs single solve
        graph, ref_graph = bench.graph_of(voronoi_key(i), got), build_grain_graph(ref)
        for name in ("x", "edge_index", "edge_attr", "pos", "grid"):
            assert np.array_equal(graph[name].numpy(), ref_graph[name].numpy()), name
        np.testing.assert_allclose(graph.y.numpy(), ref_graph.y.numpy(), rtol=1e-6)


def test_tiny_run_writes_the_h100_summary_layout(tmp_path):
    out = tmp_path / "summary.json"
    args = ["--scale", "default", "--workers", "0", "--data", str(tmp_path / "data"), "--out", str(out),
            "--baselines", "ridge,cnn", "--readouts", "mean", "--split-seeds", "0,1"]
    for o in TINY:
        args += ["--set", o]
    bench.main(args)
    summary = json.loads(out.read_text())
    h100 = json.loads((ROOT / "benchmarks" / "results" / "paper_scale_pgnn_h100.json").read_text())
    for key in ("dataset", "timings_s", "throughput", "models", "splits", "device", "versions"):
        assert key in summary and key in h100, key
    assert set(h100["dataset"]) - {"solver"} <= set(summary["dataset"])
    assert set(h100["dataset"]["solver"]) <= set(summary["dataset"]["solver"])
    assert summary["dataset"]["n"] == 24 and summary["dataset"]["solver"]["unconverged"] == 0
    assert set(summary["models"]) == {f"{m}@{s}" for m in ("pgnn_mean", "ridge", "cnn") for s in (0, 1)}
    assert set(h100["models"]["pgnn_mean"]) <= set(summary["models"]["pgnn_mean@0"]) | {"split_seed"}
    check = summary["summary"]["pgnn_vs_best_baseline"]
    assert check["best_baseline"] in ("ridge", "cnn") and check["paired_seeds"] == [0, 1]
    assert 0 <= check["p_10_percent_lower"] <= 1 and 0 <= check["p_lower"] <= 1
    # resume: a second call finds every record and regenerates nothing
    bench.main(args + ["--out", str(tmp_path / "again.json")])
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["summary"]["table"] == summary["summary"]["table"]


def test_seeds_in_parallel_processes_give_the_sequential_results(tmp_path):
    "--jobs 2 trains the two seeds in two spawned processes: with the same thread count, the same numbers."
    args = ["--scale", "default", "--workers", "0", "--data", str(tmp_path / "data"), "--baselines", "ridge,cnn",
            "--readouts", "mean", "--split-seeds", "0,1", "--threads", "1"]
    for o in TINY:
        args += ["--set", o]
    bench.main(args + ["--out", str(tmp_path / "sequential.json")])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 100), hard))   # the graphs' ~140 tensors must not need fds
    try:
        bench.main(args + ["--out", str(tmp_path / "parallel.json"), "--jobs", "2"])
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    sequential, parallel = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("sequential", "parallel"))
    assert parallel["host"]["jobs"] == 2 and parallel["host"]["threads_per_job"] == 1
    assert set(parallel["models"]) == set(sequential["models"]) == {f"{m}@{s}" for m in ("pgnn_mean", "ridge", "cnn")
                                                                    for s in (0, 1)}
    for key, entry in sequential["models"].items():
        assert parallel["models"][key]["mare_percent"] == entry["mare_percent"], key
    assert parallel["splits"] == sequential["splits"]
    predictions = [json.loads((tmp_path / f"{n}_test_predictions.json").read_text()) for n in ("sequential", "parallel")]
    assert predictions[0] == predictions[1]
