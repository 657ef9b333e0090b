"""Benchmark of pgnb.polycrystal.homogenize (a runnable script, not a test).

    python benchmarks/homogenize.py                      # everything that this machine can run
    python benchmarks/homogenize.py --parts muspectre    # only the µSpectre comparison
    python benchmarks/homogenize.py --parts gpu --gpu-batch 64

Parts:
  muspectre  κ_eff of one n³ (default 65³, odd: µSpectre's spectral gradient rejects even grids) polycrystal
             by pgnb ('fourier', the same Galerkin scheme) and by µSpectre at the same CG tolerance, for each of
             --geometries: 'dataset-grain' (sample --dataset-index of the dataset generator, drawn as
             make_voronoi_sample draws it: 2-voxel GBs, 30..300 grains, §3.2 properties; one tensor per grain and
             one GB tensor), 'dataset' (the same record with its own orientation per GB voxel: µSpectre gets one
             material per distinct tensor, ~10⁵) and 'voronoi-1voxel' (the benchmark's older 1-voxel-GB geometry).
             pgnb variants: float64 (default: float32 CG refined in float64, residual checked in float64),
             float64-pure (inner_dtype=None) and float32; timings are the best of --repeats (shared machine),
             µSpectre's the best of --muspectre-repeats. µSpectre needs numpy < 2, so it runs in its own venv (default
             /tmp/muspectre-venv, created with `pip install muspectre "numpy<2"` when missing; override with
             PGNB_MUSPECTRE_PYTHON=/path/to/python) through benchmarks/_muspectre_peer.py, exchanging .npy files.
  contrast   CG iterations ('fourier', 'willot') vs the basic Moulinec–Suquet scheme, grain-boundary contrast 1e1..1e5.
  gpu        batched throughput (conductivity tensors per second) at 64³ with device='cuda', and CUDA vs CPU agreement.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from pgnb.orientations import euler_to_matrix, random_euler, rotate_tensor2
from pgnb.polycrystal.homogenize import effective_conductivity, effective_stiffness

HERE = Path(__file__).resolve().parent
KAPPA_GRAIN = 1.335e-5  # S/m, LLZO (seed 000, §3.2)


def polycrystal(n: int, n_grains: int, rng: np.random.Generator, gb_log10: float = -2.0):
    """Material labels (n,n,n) (grains 0..G-1, grain boundary G) and tensors (G+1,3,3): periodic Voronoi grains,
    a voxel whose label differs from its −x, −y or −z neighbour is grain boundary (one side of each interface,
    so ≈1 voxel wide: thinner than the dataset's 2-voxel paper rule; kept so that the peer's material table stays
    one tensor per grain plus one GB tensor, and the recorded timings stay comparable), tetragonal grains
    κ' = κ_g (1, 1, 1.1), grain boundary 10^gb_log10 κ_g (1, 1.5, 0.7) with one random orientation."""
    seeds = rng.uniform(0, n, size=(n_grains, 3))
    _, labels = cKDTree(seeds, boxsize=n).query(np.indices((n, n, n)).reshape(3, -1).T + 0.5)
    labels = labels.reshape(n, n, n)
    gb = np.zeros_like(labels, dtype=bool)
    for axis in range(3):
        gb |= labels != np.roll(labels, 1, axis)
    R = euler_to_matrix(random_euler(n_grains + 1, rng, method="paper"))
    tensors = np.concatenate([rotate_tensor2(R[:-1], KAPPA_GRAIN * np.diag([1.0, 1.0, 1.1])),
                              rotate_tensor2(R[-1:], KAPPA_GRAIN * 10 ** gb_log10 * np.diag([1.0, 1.5, 0.7]))])
    return np.where(gb, n_grains, labels), tensors


def muspectre_python() -> Path | None:
    "Python of the µSpectre venv, created on first use; None (with a message) when that fails."
    override = os.environ.get("PGNB_MUSPECTRE_PYTHON")
    if override:
        return Path(override)
    venv = Path("/tmp/muspectre-venv")
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating the µSpectre venv {venv} (pip install muspectre 'numpy<2') ...", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", "muspectre", "numpy<2"], check=True)
        except (subprocess.CalledProcessError, FileNotFoundError) as err:
            print(f"µSpectre: could not create the venv ({err}); skipping the µSpectre comparison")
            return None
    check = subprocess.run([str(python), "-c", "import muSpectre"], capture_output=True, text=True)
    if check.returncode != 0:
        print(f"µSpectre: cannot import muSpectre in {python}:\n{check.stderr[-800:]}\nskipping the µSpectre comparison")
        return None
    return python


def dataset_sample(n: int, index: int, seed: int, grains: tuple[int, int], gb_tensor: str):
    """Labels (grain ids, GB = the last label) and tensors of Voronoi sample `index` drawn exactly as
    pgnb.polycrystal.dataset.make_voronoi_sample draws it (paper's 2-voxel GB rule, uniform orientations,
    §3.2 property draws), at grid n with grains ~ U{grains}. gb_tensor='voxel': every GB voxel keeps its own
    random orientation (the dataset record; the material table has one entry per distinct tensor),
    'grain': every GB voxel takes the first GB voxel's tensor (one tensor per grain plus one GB tensor)."""
    from pgnb.polycrystal import microstructure as ms
    from pgnb.polycrystal.dataset import VORONOI_ID, sample_rng
    rng = sample_rng(seed, VORONOI_ID, index)
    n_grains = int(rng.integers(grains[0], grains[1] + 1))
    labels = ms.generate_voronoi(n, n_grains, rng=rng)
    euler = ms.assign_orientations(labels, rng, method="uniform")[0]
    props = ms.sample_local_properties(rng, grain_stiffness="Al" if index % 2 == 0 else "Ta")
    kappa = ms.conductivity_field(labels, euler, props)
    if gb_tensor == "grain":
        gb = labels == 0
        kappa[gb] = kappa[gb][0]
    tensors, table_labels = np.unique(kappa.reshape(-1, 9), axis=0, return_inverse=True)
    info = (f"dataset sample {index} (seed {seed}): {labels.max()} grains, GB fraction {np.mean(labels == 0):.2f}, "
            f"log10 κ_gb/κ_g = {np.round(props.r[1:4], 2).tolist()}, {len(tensors)} distinct tensors")
    return table_labels.reshape(labels.shape), tensors.reshape(-1, 3, 3), info


def check_dataset_sample() -> None:
    "The draws of `dataset_sample` are those of make_voronoi_sample (compared at a 9³ grid, where solving is instant)."
    from pgnb.polycrystal.dataset import VoronoiDatasetParams, make_voronoi_sample
    params = VoronoiDatasetParams(n_samples=2, grid=9, grains_min=3, grains_max=6, gb_width=0.0, orientation="uniform",
                                  n_elastic=0, tol=1e-6, max_iter=2000, discretization="fourier")
    for index in range(2):
        record = make_voronoi_sample(index, params, seed=0)
        labels, tensors, _ = dataset_sample(9, index, 0, (3, 6), "voxel")
        kappa = effective_conductivity(tensors[labels], tol=1e-6).kappa_eff
        if np.abs(kappa - record["kappa_eff"]).max() > 1e-5 * np.abs(record["kappa_eff"]).max():
            raise RuntimeError("dataset_sample no longer draws what make_voronoi_sample draws: update it")


GEOMETRIES = ("dataset-grain", "dataset", "voronoi-1voxel")
VARIANTS = {"float64": dict(dtype="float64"),                     # default: float32 CG + float64 refinement
            "float64-pure": dict(dtype="float64", inner_dtype=None),  # every CG operation in float64
            "float32": dict(dtype="float32")}


def part_muspectre(args) -> dict:
    python = muspectre_python()
    records = {}
    if "dataset" in " ".join(args.geometries):
        check_dataset_sample()
    for geometry in args.geometries:
        if geometry == "voronoi-1voxel":
            labels, tensors = polycrystal(args.n, args.grains, np.random.default_rng(args.seed))
            info = f"benchmark Voronoi, {args.grains} grains, 1-voxel GBs (one GB tensor)"
        else:
            labels, tensors, info = dataset_sample(args.n, args.dataset_index, args.seed, tuple(args.dataset_grains),
                                                   "grain" if geometry == "dataset-grain" else "voxel")
        records[geometry] = compare(args, geometry, info, labels, tensors, python)
    return records


def compare(args, geometry, info, labels, tensors, python) -> dict:
    print(f"\n== (1) κ_eff of one {args.n}³ polycrystal, {geometry}: {info}; pgnb vs µSpectre, tol = {args.tol:g}, "
          f"best of {args.repeats} ==", flush=True)
    kappa = tensors[labels]
    lam = np.linalg.eigvalsh(tensors)
    print(f"contrast λ_max/λ_min = {lam.max() / lam.min():.3g}; load average before: {os.getloadavg()}")
    record = {"info": info, "n": args.n, "tol": args.tol, "contrast": float(lam.max() / lam.min()),
              "load_average_before": os.getloadavg(), "pgnb": {}}
    rows = {}
    for workers in sorted({1, os.cpu_count() or 1}):
        for name, options in VARIANTS.items():
            effective_conductivity(kappa[:9, :9, :9], tol=args.tol, workers=workers, **options)  # warm caches
            times, cpu = [], []
            for _ in range(args.repeats):
                t0, c0 = time.perf_counter(), time.process_time()
                res = effective_conductivity(kappa, tol=args.tol, workers=workers, **options)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            best = min(times)
            rows[(workers, name)] = (best, res, min(cpu))
            record["pgnb"][f"workers={workers} {name}"] = {
                "best_s": best, "all_s": times, "best_cpu_s": min(cpu), "all_cpu_s": cpu, "iterations": res.iterations.tolist(), "inner_dtype": res.inner_dtype,
                "residual_max": float(res.residual.max()), "kappa_eff": res.kappa_eff.tolist()}
            print(f"pgnb fourier-CG  workers={workers} {name:12s}: {best:.2f} s (CPU {min(cpu):.2f} s), iterations {res.iterations.tolist()}"
                  f"{' (float32 CG)' if res.inner_dtype else ''}, residual ≤ {res.residual.max():.2g}", flush=True)
    res = rows[(max(w for w, _ in rows), "float64")][1]
    print("pgnb κ_eff / κ_g =\n", np.array2string(res.kappa_eff / KAPPA_GRAIN, precision=6))
    pure = rows[(1, "float64-pure")][1].kappa_eff
    for name in ("float64", "float32"):
        rel = np.abs(rows[(1, name)][1].kappa_eff - pure).max() / np.abs(pure).max()
        record[f"{name}_vs_float64_pure"] = float(rel)
        print(f"pgnb {name} vs float64-pure: max rel. difference {rel:.2e}")
    if python is None:
        print("µSpectre comparison NOT RUN (see above)")
        return record
    solve_s, solve_cpu_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "labels.npy", labels)
        np.save(Path(tmp) / "tensors.npy", tensors)
        for _ in range(args.muspectre_repeats):
            run = subprocess.run([str(python), str(HERE / "_muspectre_peer.py"), tmp, str(args.tol), str(args.max_iter)],
                                 capture_output=True, text=True)  # µSpectre prints unit warnings on stderr
            if run.returncode != 0:
                print(f"µSpectre run failed:\n{run.stderr[-2000:]}")
                return record
            mu = json.loads((Path(tmp) / "muspectre.json").read_text())
            solve_s.append(mu["solve_s"])
            solve_cpu_s.append(mu["solve_cpu_s"])
    t_mu, c_mu = min(solve_s), min(solve_cpu_s)
    k_mu = np.array(mu["kappa_eff"])
    print(f"µSpectre {mu['muspectre_version']} (serial FFT): solves {t_mu:.2f} s (best of {solve_s and len(solve_s)}: "
          f"{', '.join(f'{t:.2f}' for t in solve_s)}; CPU {c_mu:.2f} s; + {mu['setup_s']:.2f} s setup, {len(tensors)} materials), "
          f"CG iterations (3 load cases) {mu['cg_iterations_total']}")
    diff = np.abs(res.kappa_eff - k_mu).max() / np.abs(k_mu).max()
    print(f"agreement: max |κ_pgnb − κ_µSpectre| / max|κ| = {diff:.2e}")
    record["muspectre"] = {"version": mu["muspectre_version"], "solve_s": solve_s, "best_s": t_mu,
                           "solve_cpu_s": solve_cpu_s, "best_cpu_s": c_mu,
                           "setup_s": mu["setup_s"], "materials": len(tensors),
                           "cg_iterations_total": mu["cg_iterations_total"], "kappa_eff": k_mu.tolist()}
    record["agreement_float64_vs_muspectre"] = float(diff)
    record["ratio_muspectre_over_pgnb"], record["cpu_ratio_muspectre_over_pgnb"] = {}, {}
    for (workers, name), (t, _, c) in rows.items():
        record["ratio_muspectre_over_pgnb"][f"workers={workers} {name}"] = t_mu / t
        record["cpu_ratio_muspectre_over_pgnb"][f"workers={workers} {name}"] = c_mu / c
        print(f"time ratio µSpectre / pgnb ({geometry}, workers={workers}, {name}) = {t_mu / t:.2f}x "
              f"(CPU time ratio {c_mu / c:.2f}x)")
    record["load_average_after"] = os.getloadavg()
    print(f"load average after: {record['load_average_after']}", flush=True)
    return record


def part_contrast(args) -> None:
    n = args.contrast_n
    print(f"\n== (2) iterations vs grain-boundary contrast, {n}³, {args.grains_contrast} grains, tol = {args.tol:g} ==")
    rng = np.random.default_rng(args.seed)
    labels, tensors = polycrystal(n, args.grains_contrast, rng, gb_log10=0.0)
    print("| contrast κ_g/κ_gb | CG fourier | CG willot | basic (fourier) |")
    print("|---|---|---|---|")
    for log_c in range(1, 6):
        t = tensors.copy()
        t[-1] = np.eye(3) * KAPPA_GRAIN / 10 ** log_c
        kappa = t[labels]
        cells = []
        for disc in ("fourier", "willot"):
            t0 = time.perf_counter()
            res = effective_conductivity(kappa, tol=args.tol, discretization=disc, on_fail="flag")
            cells.append(f"{res.iterations.max()} ({time.perf_counter() - t0:.2f} s)")
        t0 = time.perf_counter()
        res = effective_conductivity(kappa, tol=args.tol, solver="basic", max_iter=args.basic_max_iter, on_fail="flag")
        basic = f"{res.iterations.max()} ({time.perf_counter() - t0:.1f} s)" if res.converged else \
            f"> {args.basic_max_iter} (residual {res.residual.max():.1g})"
        print(f"| 1e{log_c} | {cells[0]} | {cells[1]} | {basic} |", flush=True)


def part_gpu(args) -> None:
    import torch
    if not torch.cuda.is_available():
        print("\n== (3) GPU throughput: torch sees no CUDA device — NOT RUN ==")
        return
    n, b = 64, args.gpu_batch
    print(f"\n== (3) batched throughput on {torch.cuda.get_device_name(0)}: {b} microstructures × 3 load cases, {n}³ ==")
    rng = np.random.default_rng(args.seed)
    batch = []
    for _ in range(b):
        labels, tensors = polycrystal(n, int(rng.integers(30, 90)), rng, gb_log10=float(rng.uniform(-3, 2)))
        batch.append(tensors[labels])
    batch = np.stack(batch)
    from pgnb.orientations import cubic_stiffness, rotate_stiffness
    labels, _ = polycrystal(32, 20, rng)
    C = rotate_stiffness(euler_to_matrix(random_euler(21, rng)), cubic_stiffness(187.0, 75.1, 71.0))[labels]
    C[labels == 20] *= 1e-2
    cpu_c, gpu_c = effective_stiffness(C, tol=args.tol), effective_stiffness(C, tol=args.tol, device="cuda")
    print(f"stiffness 32³: CUDA vs CPU max rel. difference "
          f"{np.abs(cpu_c.stiffness_eff - gpu_c.stiffness_eff).max() / np.abs(cpu_c.stiffness_eff).max():.2e}, "
          f"iterations {gpu_c.iterations.tolist()} vs {cpu_c.iterations.tolist()}")
    small = np.stack([polycrystal(32, 20, rng, gb_log10=g)[1][polycrystal(32, 20, np.random.default_rng(7))[0]]
                      for g in (-3.0, 0.0, 1.0)])  # very different iteration counts: exercises the batch compaction
    cpu_small = np.stack([effective_conductivity(item, tol=args.tol).kappa_eff for item in small])
    for dtype in ("float64", "float32"):
        gpu_small = effective_conductivity(small, tol=args.tol, device="cuda", dtype=dtype)
        print(f"{dtype}: batched CUDA (iterations {gpu_small.iterations.max(1).tolist()}) vs single CPU solves, "
              f"max rel. difference {np.abs(gpu_small.kappa_eff - cpu_small).max() / np.abs(cpu_small).max():.2e}")
    ref = effective_conductivity(batch[0], tol=args.tol)
    for dtype in ("float64", "float32"):
        gpu0 = effective_conductivity(batch[0], tol=args.tol, device="cuda", dtype=dtype)
        diff = np.abs(gpu0.kappa_eff - ref.kappa_eff).max() / np.abs(ref.kappa_eff).max()
        print(f"{dtype}: CUDA vs CPU κ_eff max rel. difference {diff:.2e} (iterations {gpu0.iterations.tolist()} vs {ref.iterations.tolist()})")
        for chunk in args.gpu_chunks:
            for attempt in ("cold", "warm"):  # cold: cuFFT plans for the (shrinking) batch sizes are created on the way
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                its = []
                for start in range(0, b, chunk):
                    res = effective_conductivity(batch[start:start + chunk], tol=args.tol, device="cuda", dtype=dtype)
                    its.extend(res.iterations.max(1).tolist())
                torch.cuda.synchronize()
                dt = time.perf_counter() - t0
                print(f"{dtype} chunk {chunk} ({attempt}): {b} tensors in {dt:.2f} s → {b / dt:.1f} conductivity tensors/s "
                      f"(iterations per microstructure min/median/max {min(its)}/{int(np.median(its))}/{max(its)}, "
                      f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", default=["muspectre", "contrast", "gpu"], choices=["muspectre", "contrast", "gpu"])
    parser.add_argument("--n", type=int, default=65)
    parser.add_argument("--grains", type=int, default=60)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--max-iter", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--geometries", nargs="+", default=list(GEOMETRIES), choices=GEOMETRIES,
                        help="muspectre part: the dataset generator's sample (GB tensor per grain or per voxel) and/or "
                             "the benchmark's own 1-voxel-GB Voronoi")
    parser.add_argument("--dataset-index", type=int, default=0)
    parser.add_argument("--dataset-grains", type=int, nargs=2, default=[30, 300], help="paper: 30..300 grains at 64³")
    parser.add_argument("--repeats", type=int, default=3, help="pgnb timings: best of this many (the machine is shared)")
    parser.add_argument("--muspectre-repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="muspectre part: write its numbers as JSON here")
    parser.add_argument("--contrast-n", type=int, default=32)
    parser.add_argument("--grains-contrast", type=int, default=20)
    parser.add_argument("--basic-max-iter", type=int, default=5000)
    parser.add_argument("--gpu-batch", type=int, default=64)
    parser.add_argument("--gpu-chunks", type=int, nargs="+", default=[16, 32, 64])
    args = parser.parse_args()
    t0 = time.perf_counter()
    for part in args.parts:
        out = {"muspectre": part_muspectre, "contrast": part_contrast, "gpu": part_gpu}[part](args)
        if part == "muspectre" and args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({
                "command": "python " + " ".join(sys.argv), "cpus": os.cpu_count(), "wall_s": time.perf_counter() - t0,
                "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS",)}, "geometries": out}, indent=2) + "\n")
            print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
