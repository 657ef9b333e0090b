"""Cathode learning (issue 20): bad segmentation inputs are refused naming the image, nothing half-written;
U-Net and GNN training are deterministic on CPU for one seed."""
import numpy as np
import pytest
import torch

from pgnb.cathode.learning import (EDGE_TYPES, NODE_TYPES, GraphScaler, hetero_graph, node_forward,
                                   particle_graph_table, train_node_regressor)
from pgnb.cathode.segmentation import (AugmentedCrops, CathodeSegImagesParams, channel_stats, check_phase_map,
                                       check_xray_pair, load_labelled_images, make_segmentation_image, normalise,
                                       predict_phase, train_segmenter)
from pgnb.models.hetero import HeteroNNConvRegressor
from pgnb.models.unet import UNet
from pgnb.parallel import save_result
from pgnb.training import predict

PARAMS = CathodeSegImagesParams(n_images=3, size=64, regime="paper", psf_sigma_px=1.2, xray_noise=0.04)


@pytest.fixture(scope="module")
def records():
    return [make_segmentation_image(i, PARAMS, seed=3) for i in range(3)]


def test_bad_images_are_refused_by_name(records):
    r = records[0]
    with pytest.raises(ValueError, match="image_0042: xray_above must be a 2D"):
        check_xray_pair(r["xray_below"], r["xray_above"][None], "image_0042")
    with pytest.raises(ValueError, match="image_0042: xray_below must be a floating-point.*int16"):
        check_xray_pair(r["xray_below"].astype(np.int16), r["xray_above"], "image_0042")
    with pytest.raises(ValueError, match="image_0042: xray_below is empty"):
        check_xray_pair(np.full((64, 64), 0.2, np.float32), r["xray_above"], "image_0042")
    with pytest.raises(ValueError, match="image_0042: xray_below must be a 2D image of at least 8"):
        check_xray_pair(np.zeros((0, 0), np.float32), r["xray_above"], "image_0042")
    phase = r["phase"].astype(np.int32)
    phase[5, 5] = 9
    with pytest.raises(ValueError, match=r"image_0042: phase map has unknown label\(s\) \[9\]"):
        check_phase_map(phase, "image_0042")


def test_a_bad_record_in_a_folder_is_named(records, tmp_path):
    for i, r in enumerate(records):
        rec = dict(r)
        if i == 1:
            rec["phase"] = np.where(rec["phase"] == 3, 5, rec["phase"]).astype(np.uint8)
        save_result(tmp_path / f"image_{i:04d}.npz", rec)
    with pytest.raises(ValueError, match=r"image_0001.npz: phase map has unknown label\(s\) \[5\]"):
        load_labelled_images(tmp_path)
    with pytest.raises(FileNotFoundError, match="cathode/segimages"):
        load_labelled_images(tmp_path / "empty")


def test_predict_phase_refuses_wrong_channels():
    with pytest.raises(ValueError, match=r"expected images \(N, 2, H, W\)"):
        predict_phase(UNet(width=4), np.zeros((1, 3, 32, 32), np.float32))


def _train_unet(records, attention):
    x = np.stack([check_xray_pair(r["xray_below"], r["xray_above"], str(i)) for i, r in enumerate(records)])
    y = np.stack([check_phase_map(r["phase"], str(i)) for i, r in enumerate(records)])
    x = normalise(x, channel_stats(x[:2]))
    torch.manual_seed(0)
    net = UNet(width=4, batch_norm=True, attention=attention, dropout=0.1)
    res = train_segmenter(net, AugmentedCrops(x[:2], y[:2], crop=32, crops_per_image=4, seed=0), x[2:], y[2:],
                          epochs=2, patience=2, batch_size=4, lr=1e-3, weight_decay=1e-4, seed=0)
    return res.history, predict_phase(net, x[2:])


@pytest.mark.parametrize("attention", [True, False])
def test_unet_training_is_deterministic(records, attention):
    h1, p1 = _train_unet(records, attention)
    h2, p2 = _train_unet(records, attention)
    assert h1 == h2
    assert np.array_equal(p1, p2)


def toy_graphs(n_images: int = 5, size: int = 128):
    "Heterogeneous particle graphs of `n_images` generated phase maps with noisy NMC K-edge energies."
    out = []
    for seed in range(n_images):
        rng = np.random.default_rng(seed)
        rec = make_segmentation_image(seed, CathodeSegImagesParams(3, size, "dense", 1.2, 0.04), seed=11)
        energy = np.where(rec["phase"] == 2, 8344.0 + rng.normal(0, 1.0, rec["phase"].shape), np.nan)
        G, table, _ = particle_graph_table(rec["phase"], energy, min_nmc_px=20)
        out.append(hetero_graph(G, table, f"image_{seed}"))
    return out


def test_gnn_training_is_deterministic():
    graphs = toy_graphs()
    assert all(int(g["NMC"].label_mask.sum()) > 0 for g in graphs)
    scaler = GraphScaler().fit(graphs[:3])
    data = [scaler.transform(g) for g in graphs]
    preds = []
    for _ in range(2):
        torch.manual_seed(0)
        model = HeteroNNConvRegressor((NODE_TYPES, EDGE_TYPES), 1, 1, 3, hidden=8, edge_hidden=8)
        train_node_regressor(model, data[:3], data[3:4], lr=1e-3, weight_decay=1e-2, clip=2.0, max_epochs=5,
                             patience=5, batch_size=2, seed=0)
        from torch_geometric.loader import DataLoader
        preds.append(predict(model, DataLoader(data[4:], batch_size=1), forward=node_forward)[1])
    assert np.array_equal(preds[0], preds[1])
