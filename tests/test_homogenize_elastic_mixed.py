"""Mixed precision (float32 CG + float64 refinement) of the elastic homogenisation on dataset-like samples:
the Voronoi generator of the polycrystal study at 16³ (4–38 grains, its GB rule and property draws)."""
import numpy as np
import pytest

from pgnb.polycrystal import homogenize as hom
from pgnb.polycrystal import microstructure as ms
from pgnb.polycrystal.dataset import VoronoiDatasetParams, voronoi_microstructure

PARAMS = VoronoiDatasetParams(n_samples=2000, grid=16, grains_min=4, grains_max=38, gb_width=0.0,
                              orientation="uniform", n_elastic=604, tol=1e-6, max_iter=2000, discretization="fourier")


def stiffness_sample(index: int) -> np.ndarray:
    labels, euler, props, _ = voronoi_microstructure(index, PARAMS, 2024)
    return ms.stiffness_field(labels, euler, props)


@pytest.mark.parametrize("index", [2, 5])  # the two of samples 0..5 whose all-float64 C_eff is least accurate
def test_mixed_stiffness_matches_float64(index):
    C = stiffness_sample(index)
    mixed = hom.effective_stiffness(C, workers=1)
    pure = hom.effective_stiffness(C, workers=1, inner_dtype=None)
    tight = hom.effective_stiffness(C, workers=1, inner_dtype=None, tol=1e-11, max_iter=3000).stiffness_eff
    scale = np.abs(tight).max()
    assert (mixed.inner_dtype, pure.inner_dtype) == ("float32", None)
    assert mixed.converged and np.all(mixed.residual <= PARAMS.tol), mixed.residual
    assert np.abs(mixed.stiffness_eff - pure.stiffness_eff).max() <= 1e-6 * scale
    # the refined solve's energy form is far more accurate than ⟨σ⟩ of the all-float64 solve at the same tol
    assert np.abs(mixed.stiffness_eff - tight).max() <= 1e-9 * scale
    assert np.abs(mixed.stiffness_eff - tight).max() < np.abs(pure.stiffness_eff - tight).max()
    # float32 CG needs at most a few % more iterations (a float64 hand-over on every sample would not be faster)
    assert mixed.iterations.max() <= 1.1 * pure.iterations.max() + 2, (mixed.iterations, pure.iterations)


def test_inner_dtype_choices(monkeypatch):
    C = stiffness_sample(0)
    pure = hom.effective_stiffness(C, workers=1, inner_dtype=None)
    same = hom.effective_stiffness(C, workers=1, inner_dtype="float64")  # = dtype: no refinement, the same solve
    assert np.array_equal(pure.stiffness_eff, same.stiffness_eff) and same.inner_dtype is None
    assert hom.effective_stiffness(C, workers=1, dtype="float32").inner_dtype is None
    # a contrast above MIXED_MAX_CONTRAST: "auto" is the all-float64 solve (the sample's contrast is ~12; a real
    # 10⁷ polycrystal takes > 1000 float64 iterations, the notebook checks a 10⁷ laminate)
    monkeypatch.setattr(hom, "MIXED_MAX_CONTRAST", 10.0)
    auto = hom.effective_stiffness(C, workers=1)
    assert auto.inner_dtype is None and np.array_equal(auto.stiffness_eff, pure.stiffness_eff)
    monkeypatch.setattr(hom, "MIXED_MAX_CONTRAST", 1e3)
    assert hom.effective_stiffness(C, workers=1).inner_dtype == "float32"
    with pytest.raises(ValueError, match="inner_dtype: expected 'auto', None, 'float32' or 'float64', got 'half'"):
        hom.effective_stiffness(C, inner_dtype="half")
    with pytest.raises(ValueError, match="inner_dtype: 'float64' under dtype='float32'"):
        hom.effective_stiffness(C, dtype="float32", inner_dtype="float64")
