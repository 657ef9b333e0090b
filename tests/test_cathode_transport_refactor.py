"""`simulate_discharge` split into `assemble_network` + `NewtonStepper` (issue #13) gives the same arrays, bit for bit,
as the 246-line function it replaced. tests/data/cathode_discharge_before_split.npz was written by that function
(commit 91439bc) on a 96² `regime_config("paper")` slice (stored with it) for three configurations covering the
transport-limited network with two-peak barriers and a rest, the negative control, and fast diffusion at 1 C
without 3D links (a step that converges below the cut-off instead of diverging)."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from pgnb.cathode.transport import TransportConfig, simulate_discharge

GOLDEN = Path(__file__).parent / "data" / "cathode_discharge_before_split.npz"
CASES = {"limited": TransportConfig(two_peak_fraction=0.5, rest_s=3600.0, n_steps=20, hold_s=900.0),
         "control": TransportConfig(transport_limited=False, n_steps=20, hold_s=900.0),
         "fastdiff": TransportConfig(diffusivity_m2_s=1e-14, c_rate=1.0, n_steps=10, hold_s=600.0, g3d_S=0.0)}


@pytest.mark.parametrize("name", CASES)
def test_discharge_identical_to_the_function_before_the_split(name):
    golden = np.load(GOLDEN)
    result = simulate_discharge(golden["phase"], golden["instances"], CASES[name], np.random.default_rng(2))
    compared = 0
    for field in dataclasses.fields(result):
        if field.name == "factor_s":  # wall-clock time of the LU
            continue
        old, new = golden[f"{name}.{field.name}"], np.asarray(getattr(result, field.name))
        assert old.shape == new.shape, field.name
        assert np.array_equal(old, new, equal_nan=old.dtype.kind == "f"), f"{name}.{field.name} differs"
        compared += 1
    assert compared == 12
    # the cases exercise both ends of the galvanostatic phase (diverging cut-off step vs converged below v_cut)
    assert bool(golden[f"{name}.cutoff_unconverged"]) == (name != "fastdiff")


def test_removed_split_step_is_refused_by_name():
    with pytest.raises(ValueError, match="removed"):
        TransportConfig(pixel_step="split").check()
