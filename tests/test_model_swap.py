"""Issue #15 target: each study's learning step swaps its model by a params change. For polycrystal, li and cathode,
two zoo members named in a params-like mapping are trained for one epoch on a tiny graph set through that study's own
learning entry points (split/normalisation, model by name, training loop)."""
import numpy as np
import pytest
import torch
import yaml

from pgnb.core import repo_root, validate_params


def _changed(before, model):
    return any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_polycrystal_learning_swaps_model_by_name():
    from pgnb.models.registry import TaskDims, build_model
    from pgnb.polycrystal.dataset import VoronoiDatasetParams, make_voronoi_sample
    from pgnb.polycrystal.graph import build_grain_graph
    from pgnb.polycrystal.learning import load_graph_splits, predict_graphs, train_graph_model

    tiny = VoronoiDatasetParams(n_samples=8, grid=10, grains_min=4, grains_max=8, gb_width=0.0, orientation="uniform",
                                n_elastic=0, tol=1e-5, max_iter=500, discretization="fourier")
    graphs = [build_grain_graph(make_voronoi_sample(i, tiny, seed=5)) for i in range(tiny.n_samples)]
    splits = load_graph_splits(None, graphs=graphs, seed=0, fractions=(0.5, 0.25, 0.25))
    dims = TaskDims(node_in=splits.node_in, edge_in=splits.edge_in, out=3, max_nodes=splits.max_nodes)
    built = {}
    for params in ({"model": "pgnn", "preset": "tuned", "embedding": 8, "node_hidden": 8, "hidden": [16]},
                   {"model": "nnconv", "hidden": 8}):
        hp = {k: v for k, v in params.items() if k != "model"}
        torch.manual_seed(0)
        model = build_model(params["model"], dims, **hp)
        before = [p.detach().clone() for p in model.parameters()]
        result = train_graph_model(model, splits, lr=1e-3, batch_size=2, epochs=1, patience=1, seed=0)
        y_true, y_pred = predict_graphs(model, splits.test)
        assert result.epochs == 1 and _changed(before, model) and np.isfinite(y_pred).all() and y_pred.shape == (2, 3)
        built[params["model"]] = type(model).__name__
    assert built == {"pgnn": "PGNN", "nnconv": "MPNN"}


def _li_record(kind: str, a: float, strain: float):
    "A record (lattice, fractional coordinates, Z, oxidation) of a strained Li halide/oxide, as li.graphs reads it."
    from pymatgen.core import Lattice, Structure
    if kind == "rocksalt":          # LiF/LiCl: Li at 4a, anion at 4b
        s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Li", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
        oxi = {3: 1, 17: -1}
    else:                           # antifluorite Li2O
        s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["O", "Li"], [[0, 0, 0], [0.25, 0.25, 0.25]])
        oxi = {3: 1, 8: -2}
    s.apply_strain([strain, -strain / 2, 0.0])
    numbers = np.array(s.atomic_numbers)
    return {"lattice": s.lattice.matrix, "frac": s.frac_coords, "numbers": numbers,
            "oxidation": np.array([oxi[z] for z in numbers], float)}


def test_li_learning_swaps_model_by_params():
    from pgnb.li.graphs import crystal_graph
    from pgnb.li.learning import random_splits, run_model_on_split

    graphs = []
    for i, (kind, a) in enumerate([("rocksalt", 5.1), ("antifluorite", 4.6)] * 5):
        strain = 0.01 * (i - 5)
        g = crystal_graph(_li_record(kind, a, strain), cutoff=4.0, max_neighbours=8, key=str(i))
        g.y = torch.tensor([[0.3 + 0.5 * strain + 0.1 * (kind == "rocksalt")]])   # any label: the swap is tested
        graphs.append(g)
    section = yaml.safe_load((repo_root() / "params.yaml").read_text())["li_learning"]
    section["models"] = {"cgcnn": {"model": "cgcnn", "graphs": "crystal", "hidden": 8},
                         "schnet": {"model": "schnet", "graphs": "crystal", "hidden": 8},
                         "ingcn": {"model": "ingcn", "graphs": "in_nodes"}}
    params = validate_params("li_learning", section)            # the step's schema accepts the swapped models
    split = random_splits(len(graphs), 1, (0.6, 0.2, 0.2), seed=0)[0]
    kinds = set()
    for name in ("cgcnn", "schnet"):
        y_pred, model, info = run_model_on_split(params.models[name], split, {"crystal": graphs}, np.zeros((10, 1)),
                                                 np.zeros(10), lr=1e-3, batch_size=2, epochs=1, patience=0, seed=0)
        assert info["epochs_run"] == 1 and info["parameters"] > 0
        assert np.ravel(y_pred).shape == (len(split["test"]),)
        assert np.isfinite(y_pred).all()
        kinds.add(type(model).__name__)
    assert kinds == {"CGCNN", "SchNet"}


def test_cathode_learning_swaps_model_by_name():
    from torch_geometric.loader import DataLoader

    from pgnb.cathode.learning import GraphScaler, homogeneous_graph, node_forward, node_model, train_node_regressor
    from pgnb.training import predict

    from test_cathode_learning import toy_graphs   # tests/ is on sys.path (as for tiny_repo)

    graphs = toy_graphs(n_images=4, size=96)
    assert all(int(g["NMC"].label_mask.sum()) > 0 for g in graphs)
    scaler = GraphScaler().fit(graphs[:2])
    hetero = [scaler.transform(g) for g in graphs]
    forms = {}
    for params in ({"model": "hetero_nnconv", "hidden": 8, "edge_hidden": 8}, {"model": "gat", "hidden": 8}):
        torch.manual_seed(0)
        model, form = node_model(params["model"], **{k: v for k, v in params.items() if k != "model"})
        data = hetero if form == "hetero" else [homogeneous_graph(g) for g in hetero]
        before = [p.detach().clone() for p in model.parameters()]
        fit = train_node_regressor(model, data[:2], data[2:3], lr=1e-3, weight_decay=1e-2, clip=2.0, max_epochs=1,
                                   patience=1, batch_size=2, seed=0)
        _, y_pred = predict(model, DataLoader(data[3:], batch_size=1), forward=node_forward)
        assert fit.epochs == 1 and _changed(before, model) and np.isfinite(y_pred).all()
        assert y_pred.shape == (int(graphs[3]["NMC"].label_mask.sum()), 3)
        forms[params["model"]] = form
    assert forms == {"hetero_nnconv": "hetero", "gat": "homogeneous"}
    with pytest.raises(ValueError, match="cannot predict per-NMC"):
        node_model("ingcn")
