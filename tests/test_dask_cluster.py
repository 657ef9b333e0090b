"""The cluster path of the dataset tasks (README's SLURM recipe): a real `dask scheduler` and two `dask worker`
processes on 127.0.0.1, a tiny `polycrystal/voronoi` run through `base.scheduler_address`, one worker killed
mid-run. Every record must be written exactly once and equal, byte for byte, the records of a LocalCluster run."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tiny_repo import make_tiny_repo

TINY = {"polycrystal_voronoi": dict(n_samples=12, grid=16, grains_min=4, grains_max=8, n_elastic=0)}
N = TINY["polycrystal_voronoi"]["n_samples"]
DASK = Path(sys.executable).parent / "dask"


def _start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    "A process in its own session (so that it and its children can be killed together), output to `log`."
    return subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def _wait(condition, timeout: float, what: str, logs: list[Path] = ()) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in logs if p.exists())
            raise AssertionError(f"{what} not within {timeout} s\n{tails}")
        time.sleep(0.05)


def _set_base(root: Path, **base) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["base"].update(base)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.mark.skipif(not DASK.exists() or not hasattr(os, "killpg"), reason="needs the dask CLI and POSIX signals")
def test_external_cluster_survives_a_killed_worker(tmp_path):
    start = time.time()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    scheduler_file = tmp_path / "scheduler.json"
    procs = []
    try:
        procs.append(_start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                             "--scheduler-file", str(scheduler_file)], tmp_path / "scheduler.log", env))
        _wait(scheduler_file.exists, 30, "the scheduler file", [tmp_path / "scheduler.log"])
        _wait(lambda: "address" in scheduler_file.read_text(), 5, "the scheduler address")
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:"), address
        workers = [_start([str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                           "--nthreads", "1", "--no-nanny", "--no-dashboard"], tmp_path / f"worker{i}.log", env)
                   for i in range(2)]
        procs += workers
        _wait(lambda: all("Registered to" in (tmp_path / f"worker{i}.log").read_text() for i in range(2)), 30,
              "two registered workers", [tmp_path / "worker0.log", tmp_path / "worker1.log"])

        # the run through base.scheduler_address, watched: record → (inode, mtime) the first time it is seen
        root = make_tiny_repo(tmp_path / "cluster", TINY, [])
        _set_base(root, scheduler_address=address)
        out = root / "artifacts/polycrystal/voronoi"
        client = _start([sys.executable, "-m", "pgnb.cli", "make", "polycrystal/voronoi"], tmp_path / "client.log",
                        {**env, "PGNB_ROOT": str(root)})
        procs.append(client)
        seen, rewritten, killed_at = {}, set(), None
        while client.poll() is None:
            for path in out.glob("sample_*.npz"):
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                stamp = (stat.st_ino, stat.st_mtime_ns)
                if seen.setdefault(path.name, stamp) != stamp:
                    rewritten.add(path.name)
            if killed_at is None and len(seen) >= 2:
                _kill(workers[0])  # mid-run: the other worker finishes, the scheduler reschedules
                killed_at = len(seen)
            assert time.time() - start < 60, "the cluster run took more than 60 s"
            time.sleep(0.02)
        log = (tmp_path / "client.log").read_text()
        assert client.returncode == 0, log[-3000:]
        assert killed_at is not None and killed_at < N, f"the worker was not killed mid-run ({killed_at} of {N})"
        assert workers[0].returncode is not None and workers[1].poll() is None  # one killed, one alive
        assert not rewritten, f"records written twice: {sorted(rewritten)}"
        cluster = {p.name: p.read_bytes() for p in out.glob("sample_*.npz")}
        assert sorted(cluster) == [f"sample_{i:05d}.npz" for i in range(N)]
        assert not list(out.glob(".*")), "temporary files left behind"
    finally:
        for proc in reversed(procs):
            _kill(proc)

    # the same task on a LocalCluster gives the same bytes
    local = make_tiny_repo(tmp_path / "local", TINY, [])
    _set_base(local, scheduler_address="", workers=2)
    result = subprocess.run([sys.executable, "-m", "pgnb.cli", "make", "polycrystal/voronoi"], cwd=local,
                            env={**env, "PGNB_ROOT": str(local)}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    local_out = local / "artifacts/polycrystal/voronoi"
    assert {p.name: p.read_bytes() for p in local_out.glob("sample_*.npz")} == cluster
