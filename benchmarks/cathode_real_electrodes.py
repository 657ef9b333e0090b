"""The cathode U-Net and graph pipeline on real labelled electrode volumes (issue 20, item 7) — opt-in, not a stage.

    python benchmarks/cathode_real_electrodes.py                   # both volumes, the study's trained U-Net
    python benchmarks/cathode_real_electrodes.py --epochs 0        # zero-shot only (no fine-tuning)
    python benchmarks/cathode_real_electrodes.py --weights none    # train a fresh U-Net per volume instead

The volumes (`../shared/external/electrodes/`, README and licences there; never copied into the repository) are
liquid-cell electrodes: electrolyte-filled pore (→ the ion conductor's code 1, as tests/test_cathode_electrodes.py),
active NMC particles (→ 2) and carbon-binder (→ the electron conductor's code 3). `--slices` evenly spaced z-slices
of each volume, cropped to `--size`², are rendered with the study's X-ray forward model (`generator.xray_images`:
blur 1.2 px, noise 0.04) and normalised with the study's training statistics. The slices are split along z in
contiguous blocks (60 % fine-tuning, 20 % validation, 20 % test: neighbouring slices are correlated). On the test
slices the script reports mIoU / per-class IoU of (a) the U-Net trained on the synthetic set (zero-shot) and (b) the
same network fine-tuned on the volume's training slices, and the relative error of the graph quantities (NMC
nodes, edges, TPBs, channels) built from the prediction against those built from the labels, after the study's
speck removal. Needs `artifacts/cathode/unet/` (run `pgnb run cathode/segmentation`) unless `--weights none`.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
from pathlib import Path

import numpy as np
import torch

from pgnb.cathode import graph
from pgnb.cathode.generator import xray_images
from pgnb.cathode.segmentation import (CLASS_NAMES, AugmentedCrops, check_xray_pair, confusion_matrix, iou_scores,
                                       normalise, phase_from_labels, predict_phase, remove_specks, train_segmenter)
from pgnb.core import repo_root, set_threads
from pgnb.runner import load_step_params
from pgnb.models.unet import UNet
from pgnb.parallel import load_result

VOLUMES = {  # file -> {label value: phase code}
    "nmc1_generatedCBD_bridge.tif": {0: 1, 1: 2, 2: 3},
    "taufactor_electrode.tiff": {0: 1, 85: 2, 170: 3},
}


def electrodes_folder() -> Path:
    "PGNB_ELECTRODES if set, else shared/external/electrodes beside (or above) this checkout."
    if os.environ.get("PGNB_ELECTRODES"):
        return Path(os.environ["PGNB_ELECTRODES"])
    root = Path(__file__).resolve().parents[1]
    for parent in root.parents:
        if (parent / "shared" / "external" / "electrodes").is_dir():
            return parent / "shared" / "external" / "electrodes"
    return root.parent / "shared" / "external" / "electrodes"


def rendered_slices(path: Path, mapping: dict, n_slices: int, size: int, seed: int):
    "`(x (n, 2, size, size) float32, phase (n, size, size) int64)`: labelled z-slices rendered by the forward model."
    import tifffile
    volume = tifffile.imread(path)
    if volume.ndim != 3 or min(volume.shape[1:]) < size:
        raise ValueError(f"{path}: expected a 3D volume with slices of at least {size}², got {volume.shape}")
    zs = np.linspace(0, volume.shape[0] - 1, n_slices).round().astype(int)
    xs, phases = [], []
    for z in zs:
        phase = phase_from_labels(volume[z, :size, :size], mapping, f"{path.name}[z={z}]")
        below, above = xray_images(phase, np.random.default_rng([seed, int(z)]))
        xs.append(check_xray_pair(below, above, f"{path.name}[z={z}]"))
        phases.append(phase)
    return np.stack(xs), np.stack(phases)


def graph_counts(phase: np.ndarray) -> np.ndarray:
    "NMC nodes, edges, TPBs, channels of the particle graph of a phase map."
    G = graph.particle_graph(phase, graph.segment_instances(phase))
    n_nmc = sum(1 for _, p in G.nodes(data="phase") if p == "NMC")
    return np.array([n_nmc, G.number_of_edges(), len(graph.triple_phase_boundaries(G)),
                     len(graph.concurrent_channels(G, "paper"))], float)


def evaluate(model, x, y, min_px: int) -> dict:
    pred = np.stack([remove_specks(p, min_px) for p in predict_phase(model, x)])
    scores = iou_scores(confusion_matrix(y, pred))
    truth = np.sum([graph_counts(t) for t in y], 0)
    got = np.sum([graph_counts(p) for p in pred], 0)
    names = ("n_nmc", "n_edges", "n_tpb", "n_channels")
    return {"miou": scores["miou"], "iou": scores["iou"],
            "graph": {n: {"truth": float(t), "unet": float(g), "relative_error": float(g / t - 1) if t else None}
                      for n, t, g in zip(names, truth, got)}}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", default="")
    ap.add_argument("--slices", type=int, default=20)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=10, help="fine-tuning epochs (0: zero-shot only)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weights", default="", help="'' = artifacts/cathode/unet (the study's), 'none' = fresh U-Net")
    ap.add_argument("--width", type=int, default=0, help="U-Net width for --weights none (0: the study's)")
    ap.add_argument("--json", default="")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    seg = load_step_params("cathode/segmentation")  # the study's U-Net and training settings
    folder = Path(args.folder) if args.folder else electrodes_folder()
    unet_dir = repo_root() / "artifacts" / "cathode" / "unet"
    min_px = 0
    if args.weights == "none":
        stats = None
    else:
        unet_dir = Path(args.weights) if args.weights else unet_dir
        norm = load_result(unet_dir / "normalisation.npz")
        stats = (norm["mean"], norm["std"])
        metrics_file = repo_root() / "results" / "cathode" / "segmentation" / "metrics.json"
        if metrics_file.exists():
            min_px = int(json.loads(metrics_file.read_text())["graphs_from_unet"]["speck_min_px"])
    out = {}
    for name, mapping in VOLUMES.items():
        path = folder / name
        if not path.exists():
            print(f"{path}: absent, skipped")
            continue
        x, y = rendered_slices(path, mapping, args.slices, args.size, seed=2024)
        n_tr, n_va = int(0.6 * len(x)), max(1, int(0.2 * len(x)))
        tr, va, te = slice(0, n_tr), slice(n_tr, n_tr + n_va), slice(n_tr + n_va, None)
        xn = normalise(x, stats if stats is not None else (x[tr].mean((0, 2, 3)), x[tr].std((0, 2, 3))))
        torch.manual_seed(0)
        if args.weights == "none":
            model = UNet(width=args.width or seg.width, batch_norm=seg.batch_norm, dropout=seg.dropout)
            result = {}
        else:
            model = UNet(width=seg.width, batch_norm=seg.batch_norm, dropout=seg.dropout)
            model.load_state_dict(torch.load(unet_dir / "unet_dual_attention.pt"))
            result = {"zero_shot": evaluate(model, xn[te], y[te], min_px)}
        if args.epochs > 0:
            tuned = copy.deepcopy(model)
            crops = AugmentedCrops(xn[tr], y[tr], crop=min(seg.crop, args.size), crops_per_image=seg.crops_per_image,
                                   seed=0, rotation_deg=seg.rotation_deg, jitter=seg.jitter)
            train_segmenter(tuned, crops, xn[va], y[va], epochs=args.epochs, patience=args.epochs,
                            batch_size=seg.batch_size, lr=args.lr, weight_decay=seg.weight_decay, seed=0)
            result["fine_tuned" if args.weights != "none" else "trained_per_volume"] = evaluate(tuned, xn[te], y[te], min_px)
        result["slices"] = {"train": n_tr, "val": n_va, "test": len(x) - n_tr - n_va, "size": args.size}
        out[name] = result
        for mode, r in result.items():
            if mode != "slices":
                iou = ", ".join(f"{c} {r['iou'][c]:.3f}" for c in CLASS_NAMES if r["iou"][c] is not None)
                err = ", ".join(f"{k} {v['relative_error']:+.1%}" for k, v in r["graph"].items() if v["relative_error"] is not None)
                print(f"{name} {mode}: mIoU {r['miou']:.3f} ({iou}); graph vs labels: {err}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    return out


if __name__ == "__main__":
    main()
