"""µSpectre peer of benchmarks/homogenize.py — runs in its own venv (muspectre needs numpy < 2).

Usage: python _muspectre_peer.py WORKDIR TOL MAXITER
Reads WORKDIR/labels.npy (n, n, n) int material labels and WORKDIR/tensors.npy (m, 3, 3) conductivity
tensors; solves the three load cases E = e_x, e_y, e_z with µSpectre's Newton–CG (Fourier gradient,
Galerkin projection, CG on the projected equation, as pgnb's 'fourier' scheme) and writes
WORKDIR/muspectre.json with kappa_eff, the wall and CPU (process) time of the solves and the setup time.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import muSpectre as msp


def main(workdir: Path, tol: float, maxiter: int) -> None:
    labels = np.load(workdir / "labels.npy")
    tensors = np.load(workdir / "tensors.npy")
    n = labels.shape[0]
    t0 = time.perf_counter()
    cell = msp.cell.CellData.make([n, n, n], [1.0, 1.0, 1.0])
    cell.nb_quad_pts = 1
    materials = [msp.material.MaterialLinearDiffusion_3d.make(cell, f"m{i}", np.ascontiguousarray(t))
                 for i, t in enumerate(tensors)]
    for index, pixel in cell.pixels.enumerate():
        materials[labels[tuple(pixel)]].add_pixel(index)
    krylov = msp.solvers.KrylovSolverCG(tol, maxiter, msp.Verbosity.Silent)
    # linear problem: one Newton step; newton_tol only decides whether a second (empty) step is taken
    solver = msp.solvers.SolverNewtonCG(cell, krylov, msp.Verbosity.Silent, 1e-5, 0.0, 5)
    solver.initialise_cell()
    setup_s = time.perf_counter() - t0
    kappa = np.zeros((3, 3))
    solve_s = solve_cpu_s = 0.0
    # measured with µSpectre 0.27: the flux after solve_load_increment(E) is κ_eff E whatever the previous
    # load (the "increment" sets the macroscopic gradient of this linear problem), so each unit field is passed
    for load, increment in enumerate(np.eye(3)[:, :, None]):
        t0, c0 = time.perf_counter(), time.process_time()
        result = solver.solve_load_increment(increment)
        solve_s += time.perf_counter() - t0
        solve_cpu_s += time.process_time() - c0
        if not result.success:
            raise RuntimeError(f"µSpectre did not converge for load case {load}: {result.message}")
        flux = np.asarray(result.stress).reshape(3, -1, order="F")
        kappa[:, load] = flux.mean(axis=1)
    iterations = int(krylov.counter) if hasattr(krylov, "counter") else None
    (workdir / "muspectre.json").write_text(json.dumps(
        {"kappa_eff": kappa.tolist(), "solve_s": solve_s, "solve_cpu_s": solve_cpu_s, "setup_s": setup_s, "n": n,
         "cg_iterations_total": iterations, "muspectre_version": getattr(msp.version, "description", lambda: "?")()}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
