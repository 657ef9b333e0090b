"""Training cost of the generic zoo members (pgnb.models.gnn) — a runnable benchmark, not a test.

    python benchmarks/models_zoo.py                                   # CPU, 2 threads, every member
    python benchmarks/models_zoo.py --models cgcnn gat --graphs 512 --device cuda
    python benchmarks/models_zoo.py --atoms 64 --neighbours 16 --out benchmarks/results/models_zoo_cpu.json

For every member it builds the default model for a crystal-graph task (`--node-in` node features, `--edge-in`
edge features, bond vectors, one graph-level target) and trains one epoch (Adam, L1 loss, batches of
`--batch-size`, collation included) over `--graphs` random periodic crystal graphs
(`pgnb.models.gnn.random_crystal_graph`, `--atoms` atoms per cell at a density that gives about `--neighbours`
bonds per atom within 3.5 Å — the shape of the li study's 12-nearest-neighbour crystal graphs), after two
warm-up steps. It reports parameters, bonds and ALIGNN's bond pairs per graph, the epoch's wall time and the
median step time × steps (robust to other processes stealing a shared CPU), and graphs per second.
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.loader import DataLoader

from pgnb.core import set_threads
from pgnb.models.gnn import bond_pairs, random_crystal_graph
from pgnb.models.registry import TaskDims, build_model, count_parameters, model_fits

ZOO = ("gcn", "sage", "gat", "gin", "nnconv", "cgcnn", "schnet", "alignn")
CUTOFF_A = 3.5


def make_graphs(n: int, atoms: int, neighbours: float, node_in: int, edge_in: int, seed: int):
    "`n` random crystal graphs of `atoms` atoms in a cubic cell sized for ~`neighbours` bonds per atom."
    cell = (atoms * 4.0 / 3.0 * math.pi * CUTOFF_A ** 3 / neighbours) ** (1.0 / 3.0)
    if cell < CUTOFF_A:
        raise SystemExit(f"--atoms {atoms} and --neighbours {neighbours} need a cell of {cell:.2f} Å, smaller than "
                         f"the {CUTOFF_A} Å cutoff; use more atoms or fewer neighbours")
    rng = np.random.default_rng(seed)
    return [random_crystal_graph(atoms, rng, node_in=node_in, edge_in=edge_in, cell_A=cell, cutoff_A=CUTOFF_A)
            for _ in range(n)]


def train_epoch(name: str, graphs, dims: TaskDims, batch_size: int, device: torch.device, seed: int) -> dict:
    torch.manual_seed(seed)
    model = build_model(name, dims).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(graphs, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))

    def step(batch):
        batch = batch.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = F.l1_loss(model(batch), batch.y)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    warm = iter(DataLoader(graphs, batch_size=batch_size))
    for _ in range(2):
        step(next(warm))
    times = []
    start = time.perf_counter()
    for batch in loader:
        t = time.perf_counter()
        step(batch)
        times.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    median_epoch = float(np.median(times)) * len(times)
    return dict(model=name, parameters=count_parameters(model), epoch_s=round(wall, 3),
                median_step_x_steps_s=round(median_epoch, 3), graphs_per_s=round(len(graphs) / median_epoch, 1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(ZOO))
    parser.add_argument("--graphs", type=int, default=128)
    parser.add_argument("--atoms", type=int, default=40)
    parser.add_argument("--neighbours", type=float, default=12.0)
    parser.add_argument("--node-in", type=int, default=7)
    parser.add_argument("--edge-in", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the table as JSON here")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    device = torch.device(args.device)
    graphs = make_graphs(args.graphs, args.atoms, args.neighbours, args.node_in, args.edge_in, args.seed)
    bonds = float(np.mean([g.num_edges for g in graphs]))
    pairs = float(np.mean([bond_pairs(g.edge_index, g.num_nodes).size(1) for g in graphs[:16]]))
    print(f"{len(graphs)} graphs of {args.atoms} atoms, {bonds / args.atoms:.1f} bonds per atom, "
          f"{pairs / bonds:.1f} bond pairs per bond; device {device}, {args.threads} threads")
    dims = TaskDims(node_in=args.node_in, edge_in=args.edge_in, out=1, has_edge_vec=True)
    rows = []
    for name in args.models:
        fits, reason = model_fits(name, dims)
        if not fits:
            print(f"{name:7s} skipped: {reason}")
            rows.append(dict(model=name, skipped=reason))
            continue
        row = train_epoch(name, graphs, dims, args.batch_size, device, args.seed)
        rows.append(row)
        print(f"{row['model']:7s} {row['parameters']:>9,d} params  epoch {row['epoch_s']:7.2f} s  "
              f"median-step x steps {row['median_step_x_steps_s']:7.2f} s  {row['graphs_per_s']:8.1f} graphs/s")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(args=vars(args), bonds_per_graph=bonds, bond_pairs_per_graph=pairs, device=str(device),
                           torch=torch.__version__, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
