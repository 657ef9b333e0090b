"""Cost of the gb learning pipeline: SFDs + Gaussian mixtures + random forests, per 1k GB states and per 1 M atoms.

    python benchmarks/gb_learning.py                      # ~1 min on one core
    python benchmarks/gb_learning.py --atoms 200000 --workers 2

Structures: relaxed STGB states from artifacts/gb/stgb when present (else rattled FCC bicrystal-sized cells,
0.1 Å). Timed as CPU seconds of this process (time.process_time: robust on a shared machine; with
`--workers` > 1 the forests' threads add up):
  * SFDs of one ~1000-atom state (pgnb.gb.sfd.strain_functionals), scaled to 1k states and to 1 M atoms;
  * two-class + six-class mixtures (pgnb.gb.regions.SFDMixture) fitted on `--fit-atoms` atoms and predicting
    `--atoms` atoms, scaled to 1 M predicted atoms;
  * GB-energy forest (300 trees) on 1k states x 19 features, fit + predict;
  * energy-density forest (100 trees) fitted on `--atoms` atoms x 19 SFDs, predicting them, scaled to 1 M.
Prints one JSON line per item and the total per 1k states (SFD + mixtures + GBE forest) and per 1 M atoms.
"""
from __future__ import annotations

import argparse
import json
import os
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--atoms", type=int, default=100000, help="atoms for the mixture / energy-density timings")
    parser.add_argument("--fit-atoms", type=int, default=20000, help="atoms the mixtures are fitted on (gb_regions.fit_atoms)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import numpy as np
    from pgnb.core import repo_root
    from pgnb.parallel import load_result
    from pgnb.gb.learning import rf_pipeline
    from pgnb.gb.regions import SFDMixture
    from pgnb.gb.sfd import strain_functionals

    paths = sorted((repo_root() / "artifacts" / "gb" / "stgb").glob("*.npz"))
    if paths:
        from ase import Atoms
        rec = load_result(paths[len(paths) // 2])
        atoms = Atoms(f"Cu{len(rec['positions'])}", positions=rec["positions"], cell=rec["cell"], pbc=(True, True, False))
        source = f"artifacts/gb/stgb/{paths[len(paths) // 2].name}"
    else:
        from ase.build import bulk
        atoms = bulk("Cu", "fcc", a=3.615, cubic=True).repeat((4, 4, 16))
        atoms.rattle(0.1, seed=0)
        atoms.pbc = (True, True, False)
        source = "rattled FCC"
    t = time.process_time()
    sfd = strain_functionals(atoms)
    t_sfd = time.process_time() - t
    n_state = len(atoms)
    report = {"sfd": dict(source=source, atoms_per_state=n_state, s_per_state=t_sfd,
                          s_per_1k_states=1000 * t_sfd, s_per_1M_atoms=1e6 * t_sfd / n_state)}

    rng = np.random.default_rng(0)
    pool = np.vstack([load_result(p)["sfd"] for p in paths[:: max(1, len(paths) // 64)]]) if paths else sfd
    X = pool[rng.integers(0, len(pool), args.atoms)]
    t = time.process_time()
    two = SFDMixture(2, seed=0).fit(X[: args.fit_atoms])
    six = SFDMixture(6, seed=0).fit(X[: args.fit_atoms])
    t_fit = time.process_time() - t
    t = time.process_time()
    two.predict(X)
    six.predict_proba(X)
    t_pred = time.process_time() - t
    report["mixtures"] = dict(fit_atoms=args.fit_atoms, fit_s=t_fit, predict_atoms=args.atoms,
                              s_per_1M_atoms=1e6 * t_pred / args.atoms + t_fit,
                              s_per_1k_states=1000 * n_state * t_pred / args.atoms + t_fit)

    F = rng.normal(size=(1000, 19))
    y = F[:, 0] + np.sin(F[:, 1])
    t = time.process_time()
    rf_pipeline(0, n_jobs=args.workers, n_estimators=300).fit(F[:900], y[:900]).predict(F[900:])
    report["gbe_forest"] = dict(states=1000, s_per_1k_states=time.process_time() - t)

    y_den = X[:, 4] + 0.1 * X[:, 2]
    t = time.process_time()
    model = rf_pipeline(0, n_jobs=args.workers, n_estimators=100).fit(X, y_den)
    t_fit = time.process_time() - t
    t = time.process_time()
    model.predict(X)
    t_pred = time.process_time() - t
    report["energy_density_forest"] = dict(train_atoms=args.atoms, fit_s=t_fit,
                                           predict_s_per_1M_atoms=1e6 * t_pred / args.atoms,
                                           fit_s_per_1M_atoms=1e6 * t_fit / args.atoms)
    for name, row in report.items():
        print(json.dumps({"item": name, **{k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}}))
    per_1k = report["sfd"]["s_per_1k_states"] + report["mixtures"]["s_per_1k_states"] + report["gbe_forest"]["s_per_1k_states"]
    per_1m = (report["sfd"]["s_per_1M_atoms"] + report["mixtures"]["s_per_1M_atoms"]
              + report["energy_density_forest"]["fit_s_per_1M_atoms"] + report["energy_density_forest"]["predict_s_per_1M_atoms"])
    print(json.dumps({"total_s_per_1k_states": round(per_1k, 1), "total_s_per_1M_atoms": round(per_1m, 1)}))


if __name__ == "__main__":
    main()
