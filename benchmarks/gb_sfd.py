"""Throughput of the Strain Functional Descriptors (pgnb.gb.sfd) next to dscribe SOAP — a runnable benchmark.

    python benchmarks/gb_sfd.py                         # 4k, 32k, 108k atoms; SOAP on the same atoms
    python benchmarks/gb_sfd.py --sizes 1000000 --no-soap   # the issue's target: 1 M atoms (needs ~6 GB RAM)

Structures: rattled FCC Cu (0.1 Å) at a = 3.615 Å, periodic, the seed's σ = 0.909 Å, cutoff 5.904 Å
(~79 neighbours per atom). SFDs run on one thread (numpy/BLAS threads = --threads); SOAP (dscribe: n_max 6,
l_max 4, r_cut 5.904 Å, σ 0.909 Å) with n_jobs = --threads. Prints atoms/s, the SOAP/SFD time ratio and the
projected time for 1 M atoms (target ≤ 10 min on 2 cores); with --sizes 1000000 the 1 M figure is measured.
"""
from __future__ import annotations

import argparse
import json
import os
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 32000, 108000],
                        help="atom counts (rounded to 4 n^3)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-soap", action="store_true")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    from ase.build import bulk
    from pgnb.gb.sfd import soap_descriptors, strain_functionals

    warm = bulk("Cu", "fcc", a=3.615, cubic=True).repeat(2)
    strain_functionals(warm)          # one-off: sympy import and Clebsch–Gordan tables (~2 s), not throughput
    if not args.no_soap:
        soap_descriptors(warm)
    rows = []
    for size in args.sizes:
        n = max(2, round((size / 4) ** (1 / 3)))
        atoms = bulk("Cu", "fcc", a=3.615, cubic=True).repeat((n, n, n))
        atoms.rattle(0.1, seed=0)
        t0, c0 = time.perf_counter(), time.process_time()
        sfd = strain_functionals(atoms)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        row = dict(atoms=len(atoms), sfd_s=round(wall, 3), sfd_cpu_s=round(cpu, 3),
                   sfd_atoms_per_s=round(len(atoms) / wall), sfd_1M_projected_min=round(1e6 / (len(atoms) / wall) / 60, 2))
        assert np.all(np.isfinite(sfd))
        if not args.no_soap:
            t0 = time.perf_counter()
            soap = soap_descriptors(atoms, n_jobs=args.threads)
            soap_wall = time.perf_counter() - t0
            row.update(soap_s=round(soap_wall, 3), soap_atoms_per_s=round(len(atoms) / soap_wall),
                       soap_features=int(soap.shape[1]), soap_over_sfd_time=round(soap_wall / wall, 2))
        rows.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
