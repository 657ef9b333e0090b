"""BVSE cost of the li study on one CPU core: the landscape by bvlain and by this repository's block-wise engine
(same energies required, rtol 1e-6), this repository's percolation search and bvlain's own percolation search
(identical barriers required), plus CHGNet relaxation cost per step.

    python benchmarks/li_bvse.py                 # LiFePO4 (28 atoms), LLZO primitive (96) and conventional (192)
    python benchmarks/li_bvse.py --skip-bvlain   # without bvlain's slow percolation search
    python benchmarks/li_bvse.py --relax         # also CHGNet seconds per FIRE step

Targets (issue #5): BVSE (landscape + percolation) <= 3 s for an LLZO-size cell on one core; the replacement
percolation >= 5x faster than bvlain's with identical barriers. The process is pinned to one core (sched_setaffinity) and BLAS threads are 1.
"""
import argparse
import os
import time
import warnings

import numpy as np

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
warnings.filterwarnings("ignore")

from pgnb.li import bvse  # noqa: E402
from pgnb.li.structures import build_structure, reference_structures, relax_structure, substitution_catalogue  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-bvlain", action="store_true", help="do not run bvlain's percolation search")
    parser.add_argument("--relax", action="store_true", help="also time CHGNet relaxation steps")
    parser.add_argument("--resolution", type=float, default=0.2, help="BVSE grid step, Å (default 0.2)")
    args = parser.parse_args()
    refs = reference_structures()
    cells = {"LiFePO4 (28 atoms)": refs["LiFePO4"],
             "LLZO tetragonal primitive (96 atoms)": refs["LLZO_tetragonal"].get_primitive_structure(),
             "LLZO tetragonal conventional (192 atoms)": refs["LLZO_tetragonal"]}
    print(f"one core, BVSE grid {args.resolution} Å, r_cut 10 Å; times in s")
    print(f"{'cell':42s} {'grid':>14s} {'land. bvlain':>12s} {'land. pgnb':>10s} {'ratio':>6s} {'max rel':>8s} "
          f"{'perc. ours':>10s} {'perc. bvlain':>12s} {'ratio':>6s} {'BVSE total':>10s}  barriers 1D/2D/3D eV")
    for name, structure in cells.items():
        t0 = time.perf_counter()
        reference = bvse.bvse_landscape(structure, resolution=args.resolution, engine="bvlain")
        t1 = time.perf_counter()
        grid = bvse.bvse_landscape(structure, resolution=args.resolution, engine="pgnb")
        t2 = time.perf_counter()
        if grid.shape != reference.shape or not np.allclose(grid, reference, rtol=1e-6, atol=1e-9):
            raise SystemExit(f"{name}: the landscape engines differ")
        rel = float((np.abs(grid - reference) / np.maximum(np.abs(reference), 1e-3)).max())
        t3 = time.perf_counter()
        ours = bvse.percolation_barriers(grid)
        t4 = time.perf_counter()
        if bvse.percolation_barriers(reference) != ours:
            raise SystemExit(f"{name}: barriers differ between the landscape engines")
        theirs, t5 = None, None
        if not args.skip_bvlain:
            t4b = time.perf_counter()
            theirs = bvse.bvlain_barriers(grid)
            t5 = time.perf_counter() - t4b
            if theirs != ours:
                raise SystemExit(f"{name}: barriers differ: ours {ours}, bvlain {theirs}")
        bv = f"{t5:12.2f}" if t5 else f"{'-':>12s}"
        ratio = f"{t5 / (t4 - t3):6.0f}" if t5 else f"{'-':>6s}"
        print(f"{name:42s} {str(grid.shape):>14s} {t1 - t0:12.2f} {t2 - t1:10.2f} {(t1 - t0) / (t2 - t1):6.1f} "
              f"{rel:8.0e} {t4 - t3:10.2f} {bv} {ratio} {t2 - t1 + t4 - t3:10.2f}  "
              f"{ours['1D']:.4f}/{ours['2D']:.4f}/{ours['3D']:.4f}" + ("  (identical to bvlain)" if theirs else ""))
    if args.relax:
        recipes = {r.family: r for r in substitution_catalogue(["olivine", "garnet"])}
        for family, recipe in recipes.items():
            structure = build_structure(recipe)
            relax_structure(structure, steps=1)               # model load and warm-up
            t = time.perf_counter()
            _, info = relax_structure(structure, steps=10, fmax=1e-6)
            per_step = (time.perf_counter() - t) / info["steps"]
            print(f"CHGNet {family} ({len(structure)} atoms): {per_step:.2f} s per FIRE step (cell + positions)")


if __name__ == "__main__":
    main()
