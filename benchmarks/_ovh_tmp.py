import sys, time, numpy as np, torch
sys.path.insert(0, "benchmarks")
from homogenize import polycrystal
from pgnb.polycrystal.homogenize import effective_conductivity
rng = np.random.default_rng(0)
batch = np.stack([(lambda lt: lt[1][lt[0]])(polycrystal(64, 60, rng, gb_log10=-1.0)) for _ in range(64)])
for dt in ("float64", "float32"):
    for tol in (0.9, 1e-6):
        effective_conductivity(batch[:2], tol=tol, device="cuda", dtype=dt)
        torch.cuda.synchronize(); t0 = time.perf_counter()
        r = effective_conductivity(batch, tol=tol, device="cuda", dtype=dt)
        torch.cuda.synchronize(); print(dt, tol, time.perf_counter() - t0, r.iterations.max())
t0 = time.perf_counter(); x = torch.as_tensor(batch).cuda(); torch.cuda.synchronize(); print("H2D", time.perf_counter() - t0)
