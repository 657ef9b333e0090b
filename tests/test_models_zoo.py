"""The generic members of the model zoo (pgnb.models.gnn): shapes, symmetry, learning, refusals, and a swap of
models by name in the polycrystal study's learning step."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.utils import scatter

from pgnb.models.gnn import bond_angle_cosines, bond_pairs, random_crystal_graph
from pgnb.models.registry import TaskDims, build_model, count_parameters, list_models, model_fits

ZOO = ("gcn", "sage", "gat", "gin", "nnconv", "cgcnn", "schnet", "alignn")
DISTANCE_MODELS = {"cgcnn", "schnet", "alignn", "gat", "gin", "nnconv"}
GRAPH_TASK = TaskDims(node_in=8, edge_in=2, out=2, has_edge_vec=True)
NODE_TASK = TaskDims(node_in=8, edge_in=2, out=2, has_edge_vec=True, level="node")


@pytest.fixture(scope="module")
def crystals():
    rng = np.random.default_rng(0)
    return Batch.from_data_list([random_crystal_graph(n, rng, out=2) for n in (5, 7, 9)])


def _build(name, dims, **hparams):
    torch.manual_seed(0)
    return build_model(name, dims, **hparams).eval()


def _permuted(batch, seed=0):
    graphs = []
    for g in batch.to_data_list():
        perm = torch.randperm(g.num_nodes, generator=torch.Generator().manual_seed(seed))
        inverse = torch.empty_like(perm)
        inverse[perm] = torch.arange(g.num_nodes)
        h = g.clone()
        h.x, h.edge_index, h.perm = g.x[perm], inverse[g.edge_index], perm
        graphs.append(h)
    return Batch.from_data_list(graphs)


def test_zoo_members_registered():
    assert set(ZOO) <= set(list_models())
    for name in ZOO:
        assert list_models()[name].builder.__module__ == "pgnb.models.gnn"


@pytest.mark.parametrize("name", ZOO)
def test_shapes_graph_and_node_level(name, crystals):
    with torch.no_grad():
        assert _build(name, GRAPH_TASK)(crystals).shape == (3, 2)
        assert _build(name, NODE_TASK)(crystals).shape == (crystals.num_nodes, 2)
        single = crystals.to_data_list()[0]          # a plain Data (no batch vector) is one graph
        assert _build(name, GRAPH_TASK)(single).shape == (1, 2)


@pytest.mark.parametrize("name", ZOO)
def test_permutation_invariance_and_equivariance(name, crystals):
    shuffled = _permuted(crystals)
    offsets = crystals.ptr[:-1].repeat_interleave(torch.diff(crystals.ptr))
    with torch.no_grad():
        graph_model, node_model = _build(name, GRAPH_TASK), _build(name, NODE_TASK)
        torch.testing.assert_close(graph_model(shuffled), graph_model(crystals), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(node_model(shuffled), node_model(crystals)[shuffled.perm + offsets],
                                   atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", ZOO)
def test_rotation_invariance_and_use_of_edge_vec(name, crystals):
    model = _build(name, GRAPH_TASK)
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
    rotated = crystals.clone()
    rotated.edge_vec = (crystals.edge_vec.double() @ q.T).float()
    with torch.no_grad():
        torch.testing.assert_close(model(rotated), model(crystals), atol=1e-4, rtol=1e-4)
    probe = crystals.clone()
    probe.edge_vec = crystals.edge_vec.clone().requires_grad_()
    model(probe).sum().backward()
    reads_vec = probe.edge_vec.grad is not None and bool(probe.edge_vec.grad.abs().sum() > 0)
    assert reads_vec == (name in DISTANCE_MODELS)


def _neighbour_target(batch):
    neighbour_mean = scatter(batch.x[batch.edge_index[0], 1], batch.edge_index[1], dim=0,
                             dim_size=batch.num_nodes, reduce="mean")
    y = scatter(batch.x[:, 0] * neighbour_mean, batch.batch, dim=0, reduce="mean")
    return ((y - y.mean()) / y.std()).unsqueeze(1)


def _train_losses(name, steps=25):
    "Training MSE after each full-batch Adam step on 16 random crystal graphs (target: neighbour-dependent)."
    rng = np.random.default_rng(0)
    batch = Batch.from_data_list([random_crystal_graph(int(n), rng) for n in rng.integers(4, 10, size=16)])
    target = _neighbour_target(batch)
    torch.manual_seed(0)
    model = build_model(name, TaskDims(node_in=8, edge_in=2, out=1, has_edge_vec=True))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(batch), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", ZOO)
def test_loss_falls_in_a_few_adam_steps(name):
    losses = _train_losses(name)
    assert losses[-1] < 0.3 * losses[0], f"{name}: MSE {losses[0]:.3f} -> {losses[-1]:.3f}"


@pytest.mark.parametrize("name", ("gat", "alignn"))
def test_same_seed_same_losses(name):
    assert _train_losses(name, steps=5) == _train_losses(name, steps=5)


def test_model_fits_refuses_with_reasons():
    plain = TaskDims(node_in=8, out=1)
    assert model_fits("schnet", plain) == (False, "schnet needs bond vectors (edge_vec: distances/angles) and the "
                                                  "task has none")
    assert model_fits("alignn", plain)[0] is False and "edge_vec" in model_fits("alignn", plain)[1]
    assert model_fits("nnconv", plain) == (False, "nnconv needs edge features (edge_attr) or bond vectors (edge_vec) "
                                                  "and the task has neither")
    assert model_fits("nnconv", TaskDims(node_in=7, out=1, has_edge_vec=True)) == (True, "")
    assert [n for n in ZOO if model_fits(n, plain)[0]] == ["gcn", "sage", "gat", "gin", "cgcnn"]
    assert all(model_fits(n, GRAPH_TASK) == (True, "") for n in ZOO)
    assert "takes graph inputs" in model_fits("cgcnn", TaskDims(input="voxels", in_channels=1))[1]
    with pytest.raises(ValueError, match="cannot take this task: schnet needs bond vectors"):
        build_model("schnet", plain)
    with pytest.raises(ValueError, match="no bond vectors"):
        build_model("cgcnn", plain, gaussians=41)


def test_wrong_graphs_fail_clearly(crystals):
    model = _build("alignn", GRAPH_TASK)
    no_vec = crystals.clone()
    del no_vec.edge_vec
    with pytest.raises(ValueError, match="edge_vec"):
        model(no_vec)
    with pytest.raises(ValueError, match="node features data.x"):
        model(Batch.from_data_list([random_crystal_graph(4, np.random.default_rng(0), node_in=5)]))
    no_attr = crystals.clone()
    del no_attr.edge_attr
    with pytest.raises(ValueError, match="edge_attr"):
        _build("gat", GRAPH_TASK)(no_attr)


def test_bond_pairs_and_angles(crystals):
    pairs = bond_pairs(crystals.edge_index, crystals.num_nodes)
    dst = crystals.edge_index[1]
    brute = {(a, b) for a in range(len(dst)) for b in range(len(dst)) if dst[a] == dst[b] and a != b}
    assert set(map(tuple, pairs.T.tolist())) == brute
    # equilateral triangle, both directions: two bonds arrive at each atom, every angle 60°
    pos = torch.tensor([[0.0, 0, 0], [1.0, 0, 0], [0.5, 3 ** 0.5 / 2, 0]])
    index = torch.tensor([[0, 1, 0, 2, 1, 2], [1, 0, 2, 0, 2, 1]])
    tri_vec = pos[index[1]] - pos[index[0]]
    tri_pairs = bond_pairs(index, 3)
    assert tri_pairs.size(1) == 6
    torch.testing.assert_close(bond_angle_cosines(tri_vec, tri_pairs), torch.full((6,), 0.5))


def test_degenerate_graphs_train(crystals):
    from torch_geometric.data import Data
    dimer = Data(x=torch.rand(2, 8), edge_index=torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.rand(2, 2),
                 edge_vec=torch.tensor([[1.5, 0, 0], [-1.5, 0, 0]]))
    atom = Data(x=torch.rand(1, 8), edge_index=torch.zeros(2, 0, dtype=torch.long), edge_attr=torch.zeros(0, 2),
                edge_vec=torch.zeros(0, 3))
    batch = Batch.from_data_list([dimer, atom])
    for name in ZOO:
        torch.manual_seed(0)
        out = build_model(name, GRAPH_TASK).train()(batch)
        assert out.shape == (2, 2) and torch.isfinite(out).all(), name


def test_parameter_counts_reference_task():
    reference = TaskDims(node_in=8, edge_in=2, out=1, has_edge_vec=True)
    counts = {name: count_parameters(build_model(name, reference)) for name in ZOO}
    assert all(1_000 < c < 2_000_000 for c in counts.values()), counts


def test_polycrystal_learning_step_swaps_models_by_name():
    from pgnb.polycrystal.dataset import VoronoiDatasetParams, make_voronoi_sample
    from pgnb.polycrystal.graph import build_grain_graph
    from pgnb.polycrystal.learning import load_graph_splits, train_graph_model

    tiny = VoronoiDatasetParams(n_samples=10, grid=10, grains_min=4, grains_max=9, gb_width=0.0,
                                orientation="uniform", n_elastic=0, tol=1e-5, max_iter=500,
                                discretization="fourier")
    graphs = [build_grain_graph(make_voronoi_sample(i, tiny, seed=7)) for i in range(tiny.n_samples)]
    splits = load_graph_splits(None, graphs=graphs, seed=0, fractions=(0.6, 0.2, 0.2))
    task = TaskDims(node_in=splits.node_in, edge_in=splits.edge_in, out=3)
    for name in ("cgcnn", "gat"):
        torch.manual_seed(0)
        model = build_model(name, task)
        before = [p.detach().clone() for p in model.parameters()]
        result = train_graph_model(model, splits, lr=1e-3, batch_size=2, epochs=1, patience=1, seed=0)
        assert result.epochs == 1 and np.isfinite(result.history["val_loss"]).all()
        assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", ZOO)
def test_cuda_matches_cpu(name, crystals):
    model = _build(name, GRAPH_TASK)
    expected = model(crystals).detach()
    out = model.to("cuda")(crystals.to("cuda"))
    torch.testing.assert_close(out.detach().cpu(), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", ZOO)
def test_unknown_hyperparameter_is_named(name):
    with pytest.raises(ValueError, match=rf"{name}: unknown hyperparameter\(s\) \['hiden'\]"):
        build_model(name, GRAPH_TASK, hiden=32)
    build_model(name, GRAPH_TASK, hidden=32, readout="sum")   # the common ones every member takes


@pytest.mark.parametrize("name", ZOO)
def test_transfer_from_copies_all_but_the_head(name, crystals):
    source = _build(name, GRAPH_TASK)
    target = _build(name, TaskDims(node_in=8, edge_in=2, out=1, has_edge_vec=True))
    torch.manual_seed(1)
    for p in source.parameters():   # make the source differ from any fresh initialisation
        p.data.add_(torch.randn_like(p) * 0.1)
    copied = target.transfer_from(source)
    assert copied and not any(k.startswith("head.") for k in copied)
    with torch.no_grad():
        torch.testing.assert_close(target.node_embeddings(crystals), source.node_embeddings(crystals))
