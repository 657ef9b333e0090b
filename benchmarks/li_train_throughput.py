"""Training throughput of the li study's graph models on the cached graphs of the `li_graphs` stage — a runnable
benchmark, not a test.

    python benchmarks/li_train_throughput.py                                  # artifacts/li/graphs, 2 threads
    python benchmarks/li_train_throughput.py --models ingcn ingcn_dense cgcnn --threads 1
    python benchmarks/li_train_throughput.py --graphs /path/to/artifacts/li/graphs --device cuda

For every model it runs `--epochs` training epochs (Adam, MSE, batch `--batch-size`, the graphs the study gives the
model: IN graphs with bottleneck nodes for the IN-GCN, crystal graphs with bond vectors for the zoo's crystal-graph
models) after one warm-up epoch, and reports graphs per second from the process CPU time (robust to other processes
on a shared machine) and from the wall time, plus the projected CPU time of the 10-split study at the default
schedule of `params.yaml` (`li_learning`: n_splits × `--assumed-epochs` epochs over the training split). `ingcn_dense`
is the IN-GCN with edge-list propagation instead of the CSR adjacency (`sparse=False`).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch_geometric.loader import DataLoader

from pgnb.core import repo_root, set_threads
from pgnb.li import graphs as G
from pgnb.models.registry import TaskDims, build_model, count_parameters

MODELS = {"ingcn": ("ingcn", "in_nodes", {}), "ingcn_dense": ("ingcn", "in_nodes", {"sparse": False}),
          "ingcn_edges": ("ingcn", "in_edges", {}), "cgcnn": ("cgcnn", "crystal", {}), "gat": ("gat", "crystal", {}),
          "alignn": ("alignn", "crystal", {}), "schnet": ("schnet", "crystal", {})}


def dims_of(sample, model: str) -> TaskDims:
    edge_attr = getattr(sample, "edge_attr", None)
    if model == "ingcn":   # Eq. (1) reads the adjacency only
        return TaskDims(node_in=sample.x.shape[1])
    return TaskDims(node_in=sample.x.shape[1], edge_in=0 if edge_attr is None else edge_attr.shape[1],
                    has_edge_vec=getattr(sample, "edge_vec", None) is not None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graphs", default=str(repo_root() / "artifacts" / "li" / "graphs"))
    parser.add_argument("--models", nargs="+", default=["ingcn", "ingcn_dense", "cgcnn", "gat", "alignn"], choices=list(MODELS))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--assumed-epochs", type=int, default=40, help="epochs per split run (early stopping)")
    parser.add_argument("--json", default="", help="also write the results to this file")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    results = {}
    for name in args.models:
        model_name, kind, hp = MODELS[name]
        graphs = list(G.LiGraphDataset(args.graphs, kind))
        torch.manual_seed(0)
        model = build_model(model_name, dims_of(graphs[0], model_name), **hp).to(args.device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loader = DataLoader(graphs, batch_size=args.batch_size, shuffle=True, generator=torch.Generator().manual_seed(0))

        def epoch():
            for batch in loader:
                batch = batch.to(args.device)
                optimizer.zero_grad()
                loss = torch.nn.functional.mse_loss(model(batch), batch.y)
                loss.backward()
                optimizer.step()
        epoch()   # warm-up
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.epochs):
            epoch()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        n = len(graphs) * args.epochs
        study_cpu_s = cpu / n * 0.8 * len(graphs) * args.assumed_epochs * args.splits
        results[name] = {"graphs": len(graphs), "mean_nodes": sum(g.num_nodes for g in graphs) / len(graphs),
                         "parameters": count_parameters(model), "graphs_per_s_cpu": n / cpu,
                         "graphs_per_s_wall": n / wall, "study_cpu_s": study_cpu_s}
        r = results[name]
        print(f"{name:12s} {r['graphs']:5d} graphs ({r['mean_nodes']:6.1f} nodes) {r['parameters']:7d} params  "
              f"{r['graphs_per_s_cpu']:7.1f} graphs/s (CPU time)  {r['graphs_per_s_wall']:7.1f} graphs/s (wall)  "
              f"10-split study ≈ {study_cpu_s / 60:5.1f} CPU-min at {args.assumed_epochs} epochs")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
