"""The U-Net + graph pipeline on rendered slices of the real electrode volumes (issue 20, item 7); skipped when the
external volumes are absent (they are never copied into the repository)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("cathode_real_electrodes", ROOT / "benchmarks" / "cathode_real_electrodes.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.mark.skipif(not (bench.electrodes_folder() / "taufactor_electrode.tiff").exists(),
                    reason="external electrode volumes absent")
def test_rendered_slices_and_per_volume_training(tmp_path):
    x, y = bench.rendered_slices(bench.electrodes_folder() / "taufactor_electrode.tiff",
                                 bench.VOLUMES["taufactor_electrode.tiff"], n_slices=3, size=64, seed=0)
    assert x.shape == (3, 2, 64, 64) and y.shape == (3, 64, 64)
    assert set(map(int, set(y.ravel()))) <= {1, 2, 3}
    # NMC is the bright phase above the edge in the rendered real slices too
    assert x[:, 1][y == 2].mean() > x[:, 1][y != 2].mean() + 0.5
    out = bench.main(["--weights", "none", "--width", "4", "--slices", "5", "--size", "64", "--epochs", "1",
                      "--json", str(tmp_path / "out.json")])
    r = out["taufactor_electrode.tiff"]["trained_per_volume"]
    assert 0 <= r["miou"] <= 1 and set(r["graph"]) == {"n_nmc", "n_edges", "n_tpb", "n_channels"}
    assert (tmp_path / "out.json").exists()
