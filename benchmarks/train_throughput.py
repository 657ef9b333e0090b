"""Training throughput of the PGNN (pgnb.models) — a runnable benchmark, not a test.

    python benchmarks/train_throughput.py                          # CPU, 2 threads, both presets, batch 10 and 32
    python benchmarks/train_throughput.py --device cuda --graphs 2000
    python benchmarks/train_throughput.py --presets table2 --table2-max-nodes 150 --batch-sizes 10

For every (device, preset, batch size) it trains one epoch (Adam, L1 loss, shuffled torch_geometric DataLoader,
collation included) over N random grain-like graphs with 30–150 nodes (`pgnb.models.random_grain_graph`,
~13 neighbours per node, 10 node / 4 edge features), after a few warm-up steps, and reports graphs per second and
the projected time of the paper-scale training, 4000 graphs × 50 epochs (issue target: ≤ 5 min on 2 CPU cores for
the tuned preset's model size), from the wall time of the epoch and from the median step time × steps (robust to
other processes stealing the CPU: on a shared 2-core machine a preempted OpenMP thread can stall a 2-thread step
tenfold). It also reports collation alone (the DataLoader without a model). Adam is `fused=True` by default (on
CPU it cuts the optimiser step of the 52.6 M-parameter Table-2 model ~10×); `--adam foreach` is torch's default.

Presets: `table2` = pgnb.models.PGNN_TABLE2 (flatten readout, max_nodes 400 as in the authors' code: a
52.6 M-parameter head; --table2-max-nodes changes it), `tuned` = PGNN_TUNED (mean readout, head 256/64),
both overridable with --embedding / --node-hidden / --hidden.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.loader import DataLoader

from pgnb.core import set_threads
from pgnb.models import PGNN_TABLE2, PGNN_TUNED, PGNN, count_parameters, random_grain_graph

PAPER_GRAPHS, PAPER_EPOCHS = 4000, 50


def make_graphs(n: int, min_nodes: int, max_nodes: int, seed: int):
    rng = np.random.default_rng(seed)
    return [random_grain_graph(int(k), rng) for k in rng.integers(min_nodes, max_nodes + 1, size=n)]


def preset_config(name: str, args) -> dict:
    config = dict(PGNN_TABLE2 if name == "table2" else PGNN_TUNED)
    if name == "table2":
        config["max_nodes"] = args.table2_max_nodes
    for key in ("embedding", "node_hidden"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    if args.hidden:
        config["hidden"] = tuple(int(h) for h in args.hidden.split(","))
    return config


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_epoch(model, loader, device, lr: float, warmup: int, epochs: int, adam: str) -> tuple[float, float]:
    "(wall seconds per epoch, median step seconds × steps per epoch) of training, after `warmup` steps."
    opt = torch.optim.Adam(model.parameters(), lr=lr, fused=(adam == "fused"), foreach=(adam == "foreach") or None)
    model.train()

    def step(batch):
        batch = batch.to(device)
        opt.zero_grad(set_to_none=True)
        loss = F.l1_loss(model(batch), batch.y)
        loss.backward()
        opt.step()

    for i, batch in enumerate(loader):
        if i >= warmup:
            break
        step(batch)
    sync(device)
    steps = []
    start = time.perf_counter()
    for _ in range(epochs):
        for batch in loader:
            t = time.perf_counter()
            step(batch)
            sync(device)
            steps.append(time.perf_counter() - t)
    wall = (time.perf_counter() - start) / epochs
    return wall, float(np.median(steps)) * len(steps) / epochs


def time_collation(loader) -> float:
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--graphs", type=int, default=400, help="graphs per epoch (default 400)")
    p.add_argument("--min-nodes", type=int, default=30)
    p.add_argument("--max-nodes", type=int, default=150)
    p.add_argument("--batch-sizes", default="10,32", help="comma-separated batch sizes (Table 2: 10)")
    p.add_argument("--presets", default="table2,tuned", help="comma-separated: table2, tuned")
    p.add_argument("--table2-max-nodes", type=int, default=400, help="max_nodes of the flatten readout (authors: 400)")
    p.add_argument("--embedding", type=int, default=None, help="override the embedding width of every preset")
    p.add_argument("--node-hidden", type=int, default=None, help="override the node-level width of every preset")
    p.add_argument("--hidden", default=None, help="override the dense head widths, e.g. 256,64")
    p.add_argument("--device", default="auto", choices=["cpu", "cuda", "auto", "both"],
                   help="auto: CPU, plus CUDA when present (= both); cpu; cuda")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--epochs", type=int, default=1, help="timed epochs (default 1)")
    p.add_argument("--warmup", type=int, default=5, help="untimed warm-up steps")
    p.add_argument("--adam", default="fused", help="comma-separated Adam implementations: fused, foreach")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (does not change the cost)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = p.parse_args(argv)

    set_threads(args.threads)
    devices = []
    if args.device in ("cpu", "auto", "both"):
        devices.append(torch.device("cpu"))
    if args.device == "cuda" or (args.device in ("auto", "both") and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA device")
        devices.append(torch.device("cuda"))

    graphs = make_graphs(args.graphs, args.min_nodes, args.max_nodes, args.seed)
    sizes = [g.num_nodes for g in graphs]
    degree = sum(g.num_edges for g in graphs) / sum(sizes)
    print(f"torch {torch.__version__}, {args.threads} CPU threads"
          + (f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no CUDA"))
    print(f"{len(graphs)} random graphs, {min(sizes)}-{max(sizes)} nodes (mean {np.mean(sizes):.0f}), "
          f"mean degree {degree:.1f}")
    rows = []
    print(f"{'device':6s} {'preset':7s} {'readout':8s} {'params':>11s} {'batch':>5s} {'adam':7s} {'graphs/s':>9s} "
          f"{'(median)':>9s} {'collate/s':>9s} {'4000x50':>9s} {'(median)':>9s}")
    for device in devices:
        for preset in args.presets.split(","):
            config = preset_config(preset.strip(), args)
            for bs in (int(b) for b in args.batch_sizes.split(",")):
                for adam in args.adam.split(","):
                    torch.manual_seed(args.seed)
                    model = PGNN(**config).to(device)
                    loader = DataLoader(graphs, batch_size=bs, shuffle=True,
                                        generator=torch.Generator().manual_seed(args.seed))
                    wall, median = time_epoch(model, loader, device, args.lr, args.warmup, args.epochs, adam)
                    collate = time_collation(loader)
                    rate, rate_median = len(graphs) / wall, len(graphs) / median
                    row = dict(device=device.type, preset=preset, readout=config["readout"],
                               max_nodes=config["max_nodes"], params=count_parameters(model), batch_size=bs,
                               adam=adam, graphs_per_s=rate, graphs_per_s_median_step=rate_median,
                               collate_graphs_per_s=len(graphs) / collate,
                               projected_4000x50_s=PAPER_GRAPHS * PAPER_EPOCHS / rate,
                               projected_4000x50_s_median_step=PAPER_GRAPHS * PAPER_EPOCHS / rate_median,
                               threads=args.threads, graphs=len(graphs))
                    rows.append(row)
                    print(f"{device.type:6s} {preset:7s} {config['readout']:8s} {row['params']:>11,d} {bs:>5d} "
                          f"{adam:7s} {rate:>9.0f} {rate_median:>9.0f} {row['collate_graphs_per_s']:>9.0f} "
                          f"{row['projected_4000x50_s'] / 60:>6.1f}min {row['projected_4000x50_s_median_step'] / 60:>6.1f}min",
                          flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
