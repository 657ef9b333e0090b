"""Killing a parallel map midway and rerunning it redoes only the unfinished items."""
import os
import signal
import subprocess
import sys
import time

import pytest

from pgnb.parallel import _kill_and_resume_script, load_result


def _wait_group_gone(pgid: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process group {pgid} still alive {timeout} s after SIGKILL")


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_kill_midway_then_rerun_redoes_only_unfinished(tmp_path):
    n = 16
    out, calls = tmp_path / "out", tmp_path / "calls"
    calls.mkdir()
    script = tmp_path / "job.py"
    script.write_text(_kill_and_resume_script(out, calls, n=n, seconds=0.4, workers=2))

    # run 1: a LocalCluster of 2 processes; kill client, nannies and workers once 4 items are saved
    log = (tmp_path / "run1.log").open("w")  # a file, not a pipe: a full pipe would block the run
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "RUN": "1"},
                            start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while len(list(out.glob("*.npz"))) < 4:
        if proc.poll() is not None:
            raise AssertionError(f"run 1 ended before it was killed:\n{(tmp_path / 'run1.log').read_text()[-3000:]}")
        assert time.time() < deadline, "run 1 saved fewer than 4 items in 120 s"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    log.close()
    _wait_group_gone(proc.pid)
    done = {p.stem for p in out.glob("*.npz")}
    assert 4 <= len(done) < n, f"the kill came too late to test anything: {sorted(done)}"

    # run 2: same command
    rerun = subprocess.run([sys.executable, str(script)], env={**os.environ, "RUN": "2"},
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    def computed(run):
        return sorted(f"item{p.name.split('-')[0]}" for p in calls.iterdir() if p.name.split("-")[1] == run)

    everything = {f"item{x}" for x in range(n)}
    assert computed("2") == sorted(everything - done)  # every unfinished item exactly once, no finished one
    assert len(set(computed("1"))) == len(computed("1"))  # run 1 computed no item twice either
    assert {p.stem for p in out.glob("*.npz")} == everything
    assert all(int(load_result(out / f"item{x}.npz")["x"]) == x for x in range(n))
    assert not list(out.glob(".*")), "temporary files left behind"
    assert not (out / "_failures.json").exists()
