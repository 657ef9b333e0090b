"""The medium-scale polycrystal study (issue #14) end to end on CPU, resumable: rerun the same command to resume.

    python tools/medium.py                 # 67 min on 2 cores from scratch (README); results/polycrystal/medium/
    python tools/medium.py --seeds 0       # one split seed of the PGNN-vs-baselines comparison
    python tools/medium.py --workdir .cache/medium/timing --out .cache/medium/timing-results   # a timing run

The default-scale pipeline of this checkout is left alone: the dvc stages run in a git worktree of HEAD
(`--workdir`, default .cache/medium/repo) whose params.yaml gets `params/medium.yaml` written into it
(`tools/scale.py medium --write`). Three phases, each a command of the project:
  1. `dvc repro polycrystal_transfer` in the worktree: the 2000 Voronoi records (the first 604 with stiffness),
     the Laguerre extrapolation cubes, and the extrapolation (both readouts) and transfer (Fig. 6b ablation) study;
  2. `benchmarks/paper_scale_pgnn.py` on those records: tuned PGNN (mean, flatten), ridge, the Rao & Liu 3D CNN and
     the 3D ResNet on the same 80/10/10 split for each split seed, and the paired "≥ 10 % lower" test; the seeds
     train side by side in `--jobs` 1-thread processes (on 2 cores more work per second than one 2-thread process);
  3. collect: `--out` (default results/polycrystal/medium/) gets `pgnn_vs_baselines.json` (+
     `_test_predictions.json`, the Fig. 4 parity data), `transfer/` (the step's metrics, run tables and figures) and `metrics.json` (the headline
     numbers, the commit, this command and the wall time of each phase in this invocation: a resumed run counts
     only its own work), which the study notebooks show next to the default-scale results.
The code that runs is a commit's (`--commit`, default HEAD): uncommitted changes of this checkout are not in it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from pgnb.core import atomic_path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "polycrystal" / "medium"
BENCHMARK = "pgnn_vs_baselines.json"


def run(cmd: list[str], cwd: Path) -> float:
    "Run `cmd` in `cwd` with the worktree's own `pgnb` first on the path; its wall time in seconds."
    env = dict(os.environ, PGNB_ROOT=str(cwd), PYTHONPATH=os.pathsep.join([str(cwd), os.environ.get("PYTHONPATH", "")]))
    print(f"[medium] {cwd}$ {' '.join(cmd)}", flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True)
    return time.perf_counter() - start


def prepare_worktree(workdir: Path, commit: str) -> str:
    """A worktree of `commit` at `workdir` (made, or moved to `commit` keeping its dvc outputs: stages whose code
    changed rerun) at the medium scale; the commit's sha."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{commit}^{{commit}}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.strip()
    if dirty and commit == "HEAD":
        print(f"[medium] warning: uncommitted changes in {ROOT} are not in the worktree (HEAD {sha[:8]})", flush=True)
    if not (workdir / ".git").exists():
        workdir.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(workdir), sha], cwd=ROOT, check=True)
    elif subprocess.run(["git", "rev-parse", "HEAD"], cwd=workdir, check=True, capture_output=True,
                        text=True).stdout.strip() != sha:
        # the worktree's dvc.lock records its medium-scale runs, the commit's the default scale's: keep the
        # worktree's across the checkout, so that the dataset stages rerun only when their code or params changed
        # (the transfer step reruns: its outputs are in git, and the checkout put the commit's there)
        lock = workdir / "dvc.lock"
        kept = lock.read_bytes() if lock.exists() else None
        subprocess.run(["git", "checkout", "--force", "--detach", sha], cwd=workdir, check=True)
        if kept is not None:
            lock.write_bytes(kept)
    run([sys.executable, "tools/scale.py", "medium", "--write"], workdir)
    return sha


def collect(workdir: Path, out: Path, sha: str, seconds: dict, command: str) -> dict:
    "Copy the medium results out of the worktree into `out` and write `out`/metrics.json."
    source = workdir / "results" / "polycrystal" / "transfer"
    target = out / "transfer"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in ("metrics.json", "extrapolation_runs.csv", "ablation_runs.csv"):
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "figures", target / "figures")
    bench = json.loads((out / BENCHMARK).read_text())
    metrics = dict(
        scale="medium", commit=sha, command=command, cpu_count=os.cpu_count(),
        seed_jobs=bench["host"].get("jobs", 1), threads_per_job=bench["host"].get("threads_per_job"),
        wall_seconds_this_invocation=seconds,  # a resumed run: only its own work
        dataset=bench["dataset"], splits=bench["splits"], pgnn_vs_baselines_seconds=bench["timings_s"],
        test_mare_percent={model: dict(runs=row["runs"], mean=dict(zip(("kxx", "kyy", "kzz"), row["mean"])),
                                       std=dict(zip(("kxx", "kyy", "kzz"), row["std"])) if row["std"] else None)
                           for model, row in bench["summary"]["table"].items()},
        pgnn_vs_best_baseline=bench["summary"]["pgnn_vs_best_baseline"],
        transfer=json.loads((target / "metrics.json").read_text()))
    with atomic_path(out / "metrics.json") as tmp:
        tmp.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / ".cache" / "medium" / "repo",
                        help="git worktree the medium-scale dvc stages run in (kept between runs: resume)")
    parser.add_argument("--commit", default="HEAD",
                        help="the commit whose code runs (the worktree is checked out there)")
    parser.add_argument("--seeds", default="0,1,2", help="split seeds of the PGNN-vs-baselines comparison")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="CPU worker processes")
    parser.add_argument("--jobs", type=int, default=3,
                        help="split seeds trained side by side, one process each (threads: CPU count // jobs, >= 1)")
    parser.add_argument("--out", type=Path, default=OUT, help="results folder (the committed one by default)")
    args = parser.parse_args(argv)
    command = "python tools/medium.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    workdir = args.workdir.resolve()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    sha = prepare_worktree(workdir, args.commit)
    seconds = {}
    seconds["pipeline"] = run(["dvc", "repro", "polycrystal_transfer"], workdir)
    # the pipeline's records, whose manifest has the elastic ones (the benchmark's own default is none)
    n_elastic = yaml.safe_load((workdir / "params.yaml").read_text())["polycrystal_voronoi"]["n_elastic"]
    seconds["pgnn_vs_baselines"] = run(
        [sys.executable, "benchmarks/paper_scale_pgnn.py", "--scale", "medium",
         "--set", f"polycrystal_voronoi.n_elastic={n_elastic}",
         "--data", str(workdir / "artifacts" / "polycrystal" / "voronoi"), "--readouts", "mean,flatten",
         "--baselines", "ridge,cnn,resnet", "--split-seeds", args.seeds, "--workers", str(args.workers),
         "--jobs", str(args.jobs), "--out", str(out / BENCHMARK)], workdir)
    metrics = collect(workdir, out, sha, seconds, command)
    check = metrics["pgnn_vs_best_baseline"]
    print(f"[medium] wrote {out}: {', '.join(f'{k} {v / 60:.1f} min' for k, v in seconds.items())}; best PGNN "
          f"{check['best_pgnn']} / best baseline {check['best_baseline']}: ratio {check['ratio']:.3f}, "
          f"p(>= 10 % lower) {check['p_10_percent_lower']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
