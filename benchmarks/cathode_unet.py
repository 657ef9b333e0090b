"""U-Net throughput for the cathode segmentation (seed 004) — a runnable benchmark, not a test.

    python benchmarks/cathode_unet.py                              # CPU, 1 thread, the default study settings
    python benchmarks/cathode_unet.py --threads 2 --width 16 --crop 128
    python benchmarks/cathode_unet.py --device cuda --batch-size 32 --steps 50

For the dual-attention U-Net and the plain ablation (`pgnb.models.unet`) it times training steps (AdamW, the
study's Dice + contour-aware BCE loss, `batch_size` random crops of `crop`² two-channel images, forward + backward +
step) and inference on whole `size`² images, after warm-up steps, and prints images per second (median step
time, robust to other processes stealing a shared CPU) and the implied time of one study training run
(`epochs` × `train_images` × `crops_per_image` crops). With `--json PATH` the numbers are also written there.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from pgnb.cathode.segmentation import SegmentationLoss
from pgnb.core import select_device, set_threads
from pgnb.models.registry import count_parameters
from pgnb.models.unet import UNet


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def median_step_s(step, steps: int, warmup: int, device) -> float:
    for _ in range(warmup):
        step()
    _sync(device)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        _sync(device)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--crop", type=int, default=96)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--train-images", type=int, default=28)
    ap.add_argument("--crops-per-image", type=int, default=4)
    ap.add_argument("--json", default="")
    args = ap.parse_args(argv)
    set_threads(args.threads)
    device = select_device(args.device)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch_size, 2, args.crop, args.crop, generator=gen).to(device)
    y = torch.randint(0, 4, (args.batch_size, args.crop, args.crop), generator=gen).to(device)
    whole = torch.randn(args.batch_size, 2, args.size, args.size, generator=gen).to(device)
    loss_fn = SegmentationLoss()
    results = {}
    for name, attention in (("unet_dual_attention", True), ("unet", False)):
        torch.manual_seed(0)
        model = UNet(width=args.width, attention=attention, batch_norm=True).to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

        def train_step():
            model.train()
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()

        @torch.no_grad()
        def infer_step():
            model.eval()
            model(whole).argmax(1)

        train_s = median_step_s(train_step, args.steps, args.warmup, device)
        infer_s = median_step_s(infer_step, max(2, args.steps // 2), 1, device)
        crops = args.epochs * args.train_images * args.crops_per_image
        results[name] = dict(parameters=count_parameters(model), train_images_per_s=args.batch_size / train_s,
                             infer_images_per_s=args.batch_size / infer_s,
                             study_training_s=crops * train_s / args.batch_size)
        r = results[name]
        print(f"{name:20s} {r['parameters']:>9,d} params | train {r['train_images_per_s']:8.1f} crops/s "
              f"({args.crop}²) | inference {r['infer_images_per_s']:8.1f} images/s ({args.size}²) | "
              f"one study training ≈ {r['study_training_s']:.0f} s")
    meta = dict(device=str(device), threads=args.threads, width=args.width, crop=args.crop, size=args.size,
                batch_size=args.batch_size, torch=torch.__version__)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": meta, "results": results}, f, indent=2)
    return results


if __name__ == "__main__":
    main()
