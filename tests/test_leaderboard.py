"""The models leaderboard (pgnb.leaderboard, stage models_leaderboard) on tiny synthetic tasks, and its study step's
contract. Fast: a few epochs on ~30 small graphs."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import ttest_rel

from pgnb.core import ParamsError, repo_root, validate_params
from pgnb.leaderboard import (LeaderboardParams, compare_to_reference, family_transfer, grid, leaderboard_heatmap,
                              leaderboard_table, run_leaderboard, synthetic_task, train_on_task, transfer_summary)
from pgnb.models.registry import list_models

BUDGET = dict(epochs=3, patience=3, lr=3e-3, batch_size=8)


@pytest.fixture(scope="module")
def small_board():
    graph_task, node_task = synthetic_task(28, seed=1), synthetic_task(20, seed=2, level="node")
    models = {graph_task.name: ["gcn", "schnet", "ingcn"], node_task.name: ["gcn", "sage", "ingcn"]}
    runs, zoo = run_leaderboard([graph_task, node_task], models, [0, 1, 2], hidden=16, log=None,
                                overrides={"ingcn": {"hidden": [16, 16, 16]}}, **BUDGET)
    references = {graph_task.name: "gcn", node_task.name: "gcn"}
    return runs, zoo, references


def test_every_member_has_a_row_with_a_reason(small_board):
    runs, zoo, references = small_board
    table = leaderboard_table(runs, zoo, references)
    assert len(table) == 2 * len(list_models())                   # one row per task and zoo member
    rows = table.set_index(["task", "model"])
    # ingcn is graph-level only: asked for on the node task, it is shown with the reason and not trained
    assert not rows.loc[("synthetic_node", "ingcn"), "fits"]
    assert "graph level" in rows.loc[("synthetic_node", "ingcn"), "reason"]
    assert ("synthetic_node", "ingcn") not in set(zip(runs.task, runs.model))
    assert rows.loc[("synthetic_graph", "cnn3d"), "reason"] == "cnn3d takes voxels inputs, the task gives graph"
    assert rows.loc[("synthetic_graph", "gin"), "reason"] == "fits; not in this grid"
    trained = table[table.ran]
    assert set(zip(trained.task, trained.model)) == {("synthetic_graph", m) for m in ("gcn", "schnet", "ingcn")} | \
        {("synthetic_node", m) for m in ("gcn", "sage")}
    assert (trained.n_seeds == 3).all() and (trained.n_parameters > 0).all() and (trained.train_seconds > 0).all()
    assert trained.mae_std.notna().all() and table[~table.ran].mae_mean.isna().all()
    np.testing.assert_allclose(rows.loc[("synthetic_graph", "gcn"), "mae_relative"], 1.0)
    assert sorted(trained[trained.task == "synthetic_graph"]["rank"]) == [1, 2, 3]


def test_best_model_margin_and_paired_test(small_board):
    runs, _, references = small_board
    best = compare_to_reference(runs, references).set_index("task")
    for task, row in best.iterrows():
        means = runs[runs.task == task].groupby("model").mae.mean()
        assert row.best_model == means.idxmin()
        if row.best_model == "gcn":
            assert row.margin == 0 and not row.significant
        else:
            a = runs[(runs.task == task) & (runs.model == row.best_model)].sort_values("seed").mae.to_numpy()
            b = runs[(runs.task == task) & (runs.model == "gcn")].sort_values("seed").mae.to_numpy()
            assert row.margin == pytest.approx(b.mean() - a.mean()) and row.margin > 0
            assert row.p_value == pytest.approx(ttest_rel(b, a).pvalue)


def test_paired_test_separates_consistent_from_noisy_margins():
    seeds = range(5)
    consistent = pd.DataFrame([{"task": "t", "model": m, "seed": s, "mae": 1.0 + 0.1 * s - (0.2 if m == "new" else 0)
                                + 0.001 * (s % 2) * (m == "new")} for m in ("ref", "new") for s in seeds])
    row = compare_to_reference(consistent, {"t": "ref"}).iloc[0]
    assert (row.best_model, row.significant) == ("new", True) and row.margin == pytest.approx(0.2, abs=1e-3)
    rng = np.random.default_rng(0)
    noisy = pd.DataFrame([{"task": "t", "model": m, "seed": s, "mae": 1.0 + rng.normal(0, 0.3) - 0.01 * (m == "new")}
                          for m in ("ref", "new") for s in range(3)])
    assert not compare_to_reference(noisy, {"t": "ref"}).iloc[0].significant


def test_same_seed_same_metrics():
    task = synthetic_task(24)
    rows = [train_on_task(task, "sage", 4, hparams={"hidden": 8}, **BUDGET)[1] for _ in range(2)]
    assert rows[0]["mae"] == rows[1]["mae"] and rows[0]["r2"] == rows[1]["r2"]
    other = train_on_task(task, "sage", 5, hparams={"hidden": 8}, **BUDGET)[1]
    assert other["mae"] != rows[0]["mae"]


def test_heatmap_marks_members_that_cannot_take_a_task(small_board):
    runs, zoo, references = small_board
    fig = leaderboard_heatmap(leaderboard_table(runs, zoo, references))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "✗" in texts and "1.00" in texts and "–" in texts


def test_family_transfer_compares_on_the_same_structures():
    task = synthetic_task(40, seed=3)
    split = task.split(0, "graph")
    graphs = split.train + split.val + split.test
    families = ["source"] * 24 + ["target"] * 16
    res = family_transfer(graphs, families, ["target"], "gcn", sizes=[3, 6], seeds=[0, 1, 2], n_val=3, n_test=5,
                          hparams={"hidden": 8}, epochs=2, patience=2, lr=3e-3, finetune_lr=1e-3, batch_size=8, log=None)
    assert len(res) == (2 * 2 + 1) * 3 and set(res.condition) == {"scratch", "transfer", "zero_shot"}
    assert (res.n_pretrain == 24 - 2).all()                         # the source families minus their validation part
    summary = transfer_summary(res)
    assert list(summary.n_train) == [3, 6] and (summary.n_seeds == 3).all()
    zero = res[res.condition == "zero_shot"].mae
    assert summary.mae_zero_shot.iloc[0] == pytest.approx(zero.mean()) and (res[res.condition == "zero_shot"].n_train == 0).all()
    s = res[(res.condition == "scratch") & (res.n_train == 3)].sort_values("seed").mae.to_numpy()
    t = res[(res.condition == "transfer") & (res.n_train == 3)].sort_values("seed").mae.to_numpy()
    assert summary.iloc[0].gain == pytest.approx(s.mean() - t.mean())
    with pytest.raises(ValueError, match="fewer than"):
        family_transfer(graphs, families, ["target"], "gcn", sizes=[10], seeds=[0], n_val=3, n_test=5, hparams={},
                        epochs=1, patience=1, lr=1e-3, finetune_lr=1e-3, batch_size=8)


def _section():
    return yaml.safe_load((repo_root() / "params.yaml").read_text())["models_leaderboard"]


def test_params_section_and_full_switch():
    params = validate_params("models_leaderboard", _section())
    assert params.scale == "default" and params.seeds >= 3
    default = grid(params)
    assert default["seeds"] == list(range(params.seeds)) and default["epochs"] == params.epochs
    full = grid(dataclasses.replace(params, scale="full"), fitting=lambda t: ["gcn", "sage"])
    assert full["models"] == {t: ["gcn", "sage"] for t in params.tasks}
    assert full["n_samples"] == {t: 0 for t in params.tasks} and full["epochs"] == params.full_epochs
    assert len(full["seeds"]) == params.full_seeds
    with pytest.raises(ParamsError, match="unknown zoo members"):
        validate_params("models_leaderboard", {**_section(), "models": {**_section()["models"], "li_crystal": ["nope"]}})
    with pytest.raises(ParamsError, match=">= 3"):
        validate_params("models_leaderboard", {**_section(), "seeds": 2})
    with pytest.raises(ParamsError, match="tasks"):
        validate_params("models_leaderboard", {**_section(), "tasks": ["gb_energy"]})


def test_study_notebook_matches_params():
    from pgnb.runner import check_study_notebook, find_step, load_step_params
    defaults = check_study_notebook(find_step("models/leaderboard"))
    assert defaults == _section()
    assert isinstance(load_step_params("models/leaderboard"), LeaderboardParams)
