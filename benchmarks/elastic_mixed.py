"""Speed-up of the mixed-precision elastic homogenisation (float32 CG refined in float64, the default
`inner_dtype="auto"`) over the all-float64 CG (`inner_dtype=None`) on dataset samples (a runnable script, not a test).

    python benchmarks/elastic_mixed.py                                   # 32³, samples 0..4, 2 rounds
    python benchmarks/elastic_mixed.py --out benchmarks/results/elastic_mixed_32.md

The samples are drawn as the dataset draws them (`voronoi_microstructure` + `stiffness_field`) from params.yaml's
`polycrystal_voronoi` section with the medium-scale overrides (grid 32, grains 4..38, n_samples 2000, n_elastic
604) and the base seed. Every sample is solved with both settings in alternation, --rounds times, in this one
process on `workers` FFT threads; each setting's time is its best round (the machine is shared: the load average
is printed with the results). With --reference, both C_eff are also compared with a tol = 1e-10 all-float64
solve (max |ΔC| / max |C|).
"""
from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from pgnb.core import load_params
from pgnb.polycrystal import dataset as ds
from pgnb.polycrystal import microstructure as ms
from pgnb.polycrystal.homogenize import effective_stiffness

MEDIUM = dict(grid=32, grains_min=4, grains_max=38, n_samples=2000, n_elastic=604)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--indices", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--grid", type=int, default=MEDIUM["grid"])
    parser.add_argument("--rounds", type=int, default=2, help="alternating timing rounds per sample (best counts)")
    parser.add_argument("--workers", type=int, default=1, help="FFT threads")
    parser.add_argument("--seed", type=int, default=None, help="default: params.yaml base.seed")
    parser.add_argument("--reference", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure the error of both against a tol=1e-10 float64 solve")
    parser.add_argument("--out", type=Path, default=None, help="write the table as markdown here")
    args = parser.parse_args()

    params = load_params("polycrystal_voronoi", dict(MEDIUM, grid=args.grid))
    seed = args.seed if args.seed is not None else int(load_params("base").seed)
    solve = dict(tol=params.tol, max_iter=params.max_iter, discretization=params.discretization, workers=args.workers)
    load_before = os.getloadavg()
    rows, totals = [], {"auto": 0.0, None: 0.0}
    for index in args.indices:
        labels, euler, props, n_grains = ds.voronoi_microstructure(index, params, seed)
        C = ms.stiffness_field(labels, euler, props)
        times, results = {"auto": [], None: []}, {}
        for _ in range(args.rounds):
            for inner in (None, "auto"):
                start = time.perf_counter()
                results[inner] = effective_stiffness(C, inner_dtype=inner, **solve)
                times[inner].append(time.perf_counter() - start)
        mixed, pure = results["auto"], results[None]
        best = {k: min(v) for k, v in times.items()}
        for k in totals:
            totals[k] += best[k]
        scale = np.abs(pure.stiffness_eff).max()
        row = dict(index=index, grains=n_grains, t64=best[None], tmix=best["auto"], ratio=best[None] / best["auto"],
                   it64=int(pure.iterations.max()), itmix=int(mixed.iterations.max()), inner=mixed.inner_dtype,
                   diff=np.abs(mixed.stiffness_eff - pure.stiffness_eff).max() / scale, res=float(mixed.residual.max()))
        if args.reference:
            tight = effective_stiffness(C, inner_dtype=None, **dict(solve, tol=1e-10, max_iter=5 * params.max_iter))
            row["err64"], row["errmix"] = (np.abs(r.stiffness_eff - tight.stiffness_eff).max() / scale
                                           for r in (pure, mixed))
        rows.append(row)
        print(f"sample {index} ({n_grains} grains): float64 {best[None]:.2f} s ({row['it64']} it), mixed "
              f"{best['auto']:.2f} s ({row['itmix']} it, inner {row['inner']}), ratio {row['ratio']:.2f}, "
              f"max|ΔC|/max|C| {row['diff']:.1e}, mixed residual {row['res']:.2e}"
              + (f", error vs tol=1e-10: float64 {row['err64']:.1e}, mixed {row['errmix']:.1e}" if args.reference else ""),
              flush=True)
    load_after = os.getloadavg()
    ratio = totals[None] / totals["auto"]
    print(f"total: float64 {totals[None]:.2f} s, mixed {totals['auto']:.2f} s, ratio {ratio:.2f} "
          f"(load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)")
    if args.out:
        lines = [f"# Elastic homogenisation: float32 CG + float64 refinement vs all-float64 CG ({args.grid}³)", "",
                 f"Command: `OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/elastic_mixed.py {shlex.join(sys.argv[1:])}` "
                 f"(samples {args.indices} of the polycrystal_voronoi generator with grid {args.grid}, grains "
                 f"{params.grains_min}..{params.grains_max}, seed {seed}; tol {params.tol:g}, '{params.discretization}', "
                 f"workers={args.workers}; best of {args.rounds} alternating rounds; {platform.processor() or platform.machine()}, "
                 f"{os.cpu_count()} cores shared with other jobs: load average {load_before[0]:.2f} before, "
                 f"{load_after[0]:.2f} after).", "",
                 "| sample | grains | float64 s (max it) | mixed s (max it) | ratio | max abs ΔC / max C | mixed residual"
                 + (" | float64 error | mixed error |" if args.reference else " |"),
                 "|---|---|---|---|---|---|---" + ("|---|---|" if args.reference else "|")]
        for r in rows:
            lines.append(f"| {r['index']} | {r['grains']} | {r['t64']:.2f} ({r['it64']}) | {r['tmix']:.2f} ({r['itmix']}) | "
                         f"{r['ratio']:.2f} | {r['diff']:.1e} | {r['res']:.2e} |"
                         + (f" {r['err64']:.1e} | {r['errmix']:.1e} |" if args.reference else ""))
        lines += ["", f"Total: float64 {totals[None]:.2f} s, mixed {totals['auto']:.2f} s: **{ratio:.2f}×**."]
        if args.reference:
            lines += ["", "Errors are max |C − C_ref| / max |C_ref| against an all-float64 solve at tol = 1e-10: the "
                      "mixed path's C_eff is the energy form ⟨ε_l · σ_m⟩ (error quadratic in the field's), the "
                      "all-float64 path's ⟨σ⟩ (linear)."]
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
