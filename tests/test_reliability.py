"""Issue 19, as a careless or hostile user would meet it: dataset runs never delete what they did not write and lose
nothing when a rerun fails; damaged records are named and redone; CIFs are keyed by path and content; the FFT
solver is exact or refuses; params are checked (types, element types, ranges) before any work, and every user
error is one line with rc != 0."""
import contextlib
import hashlib
import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from tiny_repo import make_tiny_repo

TINY_VORONOI = {"polycrystal_voronoi": dict(n_samples=2, grid=8, grains_min=3, grains_max=5, n_elastic=0)}


def pgnb(root: Path, *args: str) -> SimpleNamespace:
    "`pgnb *args` with `root` as the repository root, in this process (the console script calls the same `main`)."
    from pgnb.cli import main
    from pgnb.core import temporary_environ
    err = io.StringIO()
    with temporary_environ(PGNB_ROOT=str(root)), contextlib.redirect_stderr(err):
        code = main(list(args))
    return SimpleNamespace(returncode=code, stderr=err.getvalue())


def one_line_error(result, *words):
    "rc != 0; the error is one `pgnb: error:` line, the last one, containing `words`; no traceback."
    assert result.returncode != 0, result.stderr
    lines = [l for l in result.stderr.strip().splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("pgnb: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert all(w in errors[0] for w in words), (words, errors[0])


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def voronoi_repo(tmp_path):
    root = make_tiny_repo(tmp_path / "repo", TINY_VORONOI, [])
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["base"]["workers"] = 0  # serial: fast and the same records
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    result = pgnb(root, "make", "polycrystal/voronoi")
    assert result.returncode == 0, result.stderr[-2000:]
    out = root / "artifacts/polycrystal/voronoi"
    (out / "notes.txt").write_text("my own notes")
    return root, out


# 1. generation never deletes what it did not write; a broken rerun touches nothing; a failed rerun loses nothing
def test_rerun_with_broken_params_fails_before_touching_anything(voronoi_repo):
    root, out = voronoi_repo
    before = snapshot(out)
    for bad, words in ((["grid=-4"], ["polycrystal_voronoi", "grid"]),
                       (["n_samples=two"], ["key 'n_samples': expected an integer"]),
                       (["grains_min=[3"], ["override 'grains_min=[3': the value is not valid YAML"])):
        one_line_error(pgnb(root, "make", "polycrystal/voronoi", *sum([["--set", b] for b in bad], [])), *words)
        assert snapshot(out) == before


def test_other_params_keep_foreign_files_and_replace_records_only_after_success(voronoi_repo):
    root, out = voronoi_repo
    old = {p.name: p.read_bytes() for p in out.glob("sample_*.npz")}
    result = pgnb(root, "make", "polycrystal/voronoi", "--set", "tol=1e-5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "left alone (not written by pgnb): ['notes.txt']" in result.stderr
    assert (out / "notes.txt").read_text() == "my own notes"
    assert sorted(p.name for p in out.glob("sample_*.npz")) == sorted(old)
    assert not (out / "_stale").exists()  # the old records went once the new ones were all written


def test_a_failing_rerun_loses_no_record(voronoi_repo):
    root, out = voronoi_repo
    old = {p.name: p.read_bytes() for p in out.glob("sample_*.npz")}
    one_line_error(pgnb(root, "make", "polycrystal/voronoi", "--set", "max_iter=1"), "2 of 2 item(s) failed",
                   "ConvergenceError")
    stale = [p for p in (out / "_stale").rglob("*.npz")]
    assert sorted(p.name for p in stale) == sorted(old) and all(p.read_bytes() == old[p.name] for p in stale)
    stamps = {p.name: p.stat().st_mtime_ns for p in stale}
    result = pgnb(root, "make", "polycrystal/voronoi")  # back to the old params: restored, not recomputed
    assert result.returncode == 0, result.stderr[-2000:]
    assert {p.name: p.read_bytes() for p in out.glob("sample_*.npz")} == old
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("sample_*.npz")} == stamps
    assert (out / "notes.txt").read_text() == "my own notes"


def test_a_foreign_file_where_a_record_goes_is_refused(tmp_path):
    from pgnb.parallel import prepare_output
    (tmp_path / "sample_00000.npz").write_text("not mine")
    with pytest.raises(FileExistsError, match=r"\['sample_00000.npz'\] stand where records of this run go"):
        prepare_output(tmp_path, {"dataset": "x"}, ["sample_00000"])
    assert (tmp_path / "sample_00000.npz").read_text() == "not mine"


# 2. atomic records, validated on resume; readers name the bad file
def test_truncated_record_is_named_and_redone(voronoi_repo):
    root, out = voronoi_repo
    path = out / "sample_00001.npz"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 3])
    from pgnb.polycrystal.dataset import load_records
    with pytest.raises(ValueError, match=f"record {path} is unreadable"):
        load_records(out)
    stamp0 = (out / "sample_00000.npz").stat().st_mtime_ns
    result = pgnb(root, "make", "polycrystal/voronoi")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"record {path} is unreadable" in result.stderr
    assert path.read_bytes() == good and (out / "sample_00000.npz").stat().st_mtime_ns == stamp0


# 3. CIF collections: relative path + content hash
def test_cifs_keyed_by_path_and_content(tmp_path):
    from pgnb.li.dataset import cif_key
    from pgnb.li.structures import read_cif_folder, reference_structures
    lfp = reference_structures()["LiFePO4"].copy()
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    lfp.to(filename=str(tmp_path / "a" / "LiFePO4.cif"))
    lfp.copy().scale_lattice(lfp.volume * 1.02).to(filename=str(tmp_path / "b" / "LiFePO4.cif"))
    read, failed = read_cif_folder(tmp_path)
    assert not failed and sorted(read) == ["a/LiFePO4.cif", "b/LiFePO4.cif"]
    keys = {cif_key(entry) for entry in read.values()}
    assert len(keys) == 2
    sha = hashlib.sha256((tmp_path / "a" / "LiFePO4.cif").read_bytes()).hexdigest()
    assert cif_key(read["a/LiFePO4.cif"]) == f"cif_a_LiFePO4_{sha[:12]}"
    lfp.copy().scale_lattice(lfp.volume * 1.05).to(filename=str(tmp_path / "a" / "LiFePO4.cif"))  # edited
    assert cif_key(read_cif_folder(tmp_path)[0]["a/LiFePO4.cif"]) != cif_key(read["a/LiFePO4.cif"])


# 4. the FFT solver is exact on the laminate or refuses
@pytest.mark.parametrize("scheme", ["fourier", "willot", "finite_volume"])
def test_laminate_exact_or_refused(scheme):
    from pgnb.polycrystal.homogenize import MAX_CONTRAST, effective_conductivity

    def laminate(contrast, n=8):
        k = np.ones((n, n, n))
        k[: n // 2] = contrast
        return k[..., None, None] * np.eye(3)

    for exponent in (3, 6, 9, 12, -3, -6, -9, -12):
        c = 10.0 ** exponent
        result = effective_conductivity(laminate(c), discretization=scheme)
        harmonic, arithmetic = 2 / (1 + 1 / c), (1 + c) / 2
        assert abs(result.kappa_eff[0, 0] / harmonic - 1) < 1e-8, (exponent, result.kappa_eff[0, 0] / harmonic)
        np.testing.assert_allclose(np.diag(result.kappa_eff)[1:], arithmetic, rtol=1e-12)
    limit = MAX_CONTRAST["float64"]
    effective_conductivity(laminate(limit), discretization=scheme)  # the limit itself is accepted
    for c in (limit * 1.5, 1 / (limit * 1.5), 1e-30):
        with pytest.raises(ValueError, match=r"kappa: contrast λ_max/λ_min = .* exceeds 1e\+12"):
            effective_conductivity(laminate(c), discretization=scheme)


def test_complex_kappa_all_nmc_slice_and_the_convergence_hint():
    from pgnb.cathode.transport import NMC, TransportConfig, simulate_discharge
    from pgnb.polycrystal.homogenize import ConvergenceError, effective_conductivity
    rng = np.random.default_rng(0)
    kappa = np.broadcast_to(np.diag([1.0, 2.0, 3.0]), (6, 6, 6, 3, 3)) * rng.uniform(1, 5, (6, 6, 6, 1, 1))
    with pytest.raises(ValueError, match="kappa: expected real values, got a complex array"):
        effective_conductivity(kappa + 1e-3j)
    with pytest.raises(ConvergenceError) as err:
        effective_conductivity(kappa, max_iter=1)
    assert "raise max_iter" in str(err.value) and "solver='cg'" not in str(err.value)
    with pytest.raises(ValueError, match="no NMC|SSE interface"):
        simulate_discharge(np.full((32, 32), NMC), np.ones((32, 32), int), TransportConfig(), rng)


# 5. params: types, element types, ranges, before any work; CLI errors are one line
def test_cli_user_errors_are_one_line(tmp_path):
    root = make_tiny_repo(tmp_path / "repo", {}, ["polycrystal"])
    one_line_error(pgnb(root, "make", "voronoi"), "expected <study>/<step>, got 'voronoi'")
    one_line_error(pgnb(root, "run", "data"), "expected <study>/<step>, got 'data'")
    one_line_error(pgnb(root, "run", "polycrystal/data", "--set", "resolution_grids=['a']"),
                   "key 'resolution_grids'[0]: expected an integer")
    one_line_error(pgnb(root, "run", "polycrystal/data", "--set", "example_grid=-64"),
                   "key 'example_grid': input should be greater than or equal to 0")
    one_line_error(pgnb(root, "run", "polycrystal/data", "--set", "example_grid: 3"), "expected key=value")
    one_line_error(pgnb(root, "make", "li/dataset", "--set", "resolution=0"),
                   "key 'resolution': input should be greater than or equal to 0.05")
    one_line_error(pgnb(root, "make", "li/dataset", "--set", "r_cut=-1"), "key 'r_cut': input should be greater than 0")
    one_line_error(pgnb(root, "make", "li/dataset", "--set", "families=[olivine, 3]"), "key 'families'[1]")
    assert not (root / "results").exists() and not (root / "artifacts").exists()  # nothing ran


# 6. a run whose records failed (all, or more than the stated fraction) fails, naming the first errors
def test_failed_records_fail_the_run(tmp_path):
    from pgnb.parallel import DatasetFailed, dataset_task
    base = SimpleNamespace(seed=0, workers=0, threads=1, scheduler_address="")

    def maker(item):
        return {"failed": int(item != 0), "reason": f"item {item}: no BVSE parameters" if item else "", "x": item}

    with pytest.raises(DatasetFailed, match=r"3 of 4 records of li structures failed \(allowed: 50%\); first: i1: item 1"):
        dataset_task(maker, range(4), tmp_path, manifest={"dataset": "li"}, base=base, key=lambda i: f"i{i}",
                     max_failed=0.5, desc="li structures")
    dataset_task(maker, range(1), tmp_path / "ok", manifest={"dataset": "li"}, base=base, key=lambda i: f"i{i}",
                 max_failed=0.5)
