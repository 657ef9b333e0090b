"""Cathode study: seconds per 512² image for generation, physics, instances, graph and metrics.

Run: `python benchmarks/cathode_pipeline.py [--size 512] [--images 3] [--threads 1]`. Prints CPU and wall seconds
per stage (median over images), the total against the issue's 5 s CPU target for generation + graph + metrics,
the sparse-LU ordering comparison (symmetric-mode MMD on AᵀA+A, used, against SuperLU's default COLAMD with
partial pivoting) and porespy's snow2 as an image → network reference.
"""
import argparse
import os
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--size", type=int, default=512)
parser.add_argument("--images", type=int, default=3)
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import scipy.sparse.linalg as spl  # noqa: E402

from pgnb.cathode import analysis, graph, transport  # noqa: E402
from pgnb.cathode.generator import generate_microstructure, regime_config, xray_images  # noqa: E402
from pgnb.core import load_params  # noqa: E402


def timed(func, *a, **k):
    c0, w0 = time.process_time(), time.perf_counter()
    out = func(*a, **k)
    return out, time.process_time() - c0, time.perf_counter() - w0


params = load_params("cathode_images")
rows = []
for i in range(args.images):
    rng = np.random.default_rng(i)
    (phase, inst), *t_gen = timed(generate_microstructure, regime_config(params.regime, size=args.size), rng)
    _, *t_xray = timed(xray_images, phase, rng)
    res, *t_lim = timed(transport.simulate_discharge, phase, inst, params.transport(True), rng)
    ctl, *t_ctl = timed(transport.simulate_discharge, phase, inst, params.transport(False), rng)
    energy = transport.kedge_energy(res.x, rng)
    seg, *t_seg = timed(graph.segment_instances, phase)
    G, *t_graph = timed(graph.particle_graph, phase, seg)
    _, *t_morph = timed(graph.nmc_table, G)
    _, *t_met = timed(analysis.graph_metrics, G)
    _, *t_state = timed(analysis.particle_states, energy, seg)
    rows.append(dict(generate=t_gen, xray=t_xray, transport=t_lim, control=t_ctl, watershed=t_seg, graph=t_graph,
                     morphology=t_morph, metrics=t_met, states=t_state, factor_s=(res.factor_s, res.factor_s),
                     n_nodes=(G.number_of_nodes(),) * 2, n_unknowns=(res.n_unknowns,) * 2,
                     steps=(len(res.time_s),) * 2))

print(f"cathode pipeline, {args.size}² images, regime {params.regime}, {args.images} images, threads {args.threads}")
print(f"{'stage':<12} {'CPU s':>8} {'wall s':>8}")
med = {k: np.median([r[k] for r in rows], axis=0) for k in rows[0]}
for k in ("generate", "xray", "transport", "control", "watershed", "graph", "morphology", "metrics", "states"):
    print(f"{k:<12} {med[k][0]:8.3f} {med[k][1]:8.3f}")
print(f"transport: {int(med['n_unknowns'][0])} unknowns, {int(med['steps'][0])} time records, "
      f"LU factorisation {med['factor_s'][0]:.3f} s; graph nodes {int(med['n_nodes'][0])}")
core = sum(med[k][0] for k in ("generate", "xray", "watershed", "graph", "morphology", "metrics", "states"))
physics = med["transport"][0] + med["control"][0]
print(f"generation + graph + metrics (no physics): {core:.2f} s CPU  -> {core / 5.0:.2f} x the 5 s target")
print(f"with both discharges (limited + control):  {core + physics:.2f} s CPU -> {(core + physics) / 5.0:.2f} x target")

# sparse LU ordering on the last image's transport matrix (rebuilt through a 1-step run to get A)
phase, inst = generate_microstructure(regime_config(params.regime, size=args.size), np.random.default_rng(0))
cfg = params.transport(True)
import scipy.sparse as sp  # noqa: E402
captured = {}
real_splu = spl.splu


def spy(A, **kw):
    captured["A"] = A
    return real_splu(A, **kw)


transport.spl.splu = spy
transport.simulate_discharge(phase, inst, cfg, np.random.default_rng(0))
transport.spl.splu = real_splu
A = captured["A"]
for label, kw in (("MMD_AT_PLUS_A, symmetric mode (used)", dict(permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                                                                options=dict(SymmetricMode=True))),
                  ("COLAMD, partial pivoting (SuperLU default)", dict(permc_spec="COLAMD"))):
    lu, c, w = timed(real_splu, A, **kw)
    b = np.ones(A.shape[0])
    _, cs, ws = timed(lu.solve, b)
    print(f"splu {label:<44} factor {w:6.3f} s wall, solve {ws * 1e3:6.1f} ms, fill nnz {lu.L.nnz + lu.U.nnz:>10,d}")

import porespy as ps  # noqa: E402
_, c, w = timed(ps.networks.snow2, phase == 2, boundary_width=0)
_, c2, w2 = timed(graph.segment_instances, phase)
print(f"NMC instances: convexity watershed {w2:.3f} s wall vs porespy snow2 {w:.3f} s wall "
      f"(ratio {w2 / w:.2f})")
