"""Library swaps of issue #13 with identical output, and the two that are not swapped, with the measured reason.
The references were written by the hand-written code before the swap (tests/data/*_before_swap.*)."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from pgnb.li.network import gaussian_expansion, interstices
from pgnb.li.structures import reference_structures, shannon_radius

DATA = Path(__file__).parent / "data"


def test_shannon_radius_is_pymatgens_with_the_nearest_coordination_fallback():
    "Every species with Shannon radii × every coordination: the same radius as the table lookup it replaced."
    golden = json.loads((DATA / "shannon_radii_before_swap.json").read_text())
    assert len(golden) > 2000
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # pymatgen warns when a spin is asked that the table lacks
        for entry, radius in golden.items():
            species, cn = entry.split("|")
            assert shannon_radius(species, cn) == radius, entry
    with pytest.raises(KeyError, match="no Shannon radius"):
        shannon_radius("He+", "VI")


def test_gaussian_expansion_is_not_pygs_gaussian_smearing():
    """Kept hand-written (see its comment): CGCNN's filter exp(−(d−μ)²/Δ²) is the square of PyG's
    exp(−½(d−μ)²/Δ²), and PyG builds its centres in float32, so the li crystal-graph features would move."""
    from torch_geometric.nn.models.schnet import GaussianSmearing
    d = np.linspace(0.5, 8.0, 997)
    ours = gaussian_expansion(d)
    pyg = GaussianSmearing(0.0, 8.0, ours.shape[1]).double()(torch.from_numpy(d)).numpy()
    assert np.abs(ours - pyg).max() > 0.1                    # different width convention
    np.testing.assert_allclose(ours, pyg ** 2, atol=1e-6)     # ours = PyG's squared, up to PyG's float32 centres
    assert not np.array_equal(ours.astype(np.float32), (pyg ** 2).astype(np.float32))


def test_orbits_are_not_spglibs_equivalent_atoms():
    """Kept hand-written (see `_orbits`): the interstices of LLZO include Voronoi vertices 0.006 Å apart, which
    spglib refuses as overlapping atoms, where `_orbits` merges them within its 0.05 Å tolerance."""
    spglib = pytest.importorskip("spglib")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = interstices(reference_structures()["LLZO_cubic"])
    fw = net["framework"]
    frac = net["frac"] % 1.0
    gaps = fw.lattice.get_all_distances(frac, frac)
    np.fill_diagonal(gaps, np.inf)
    assert gaps.min() < 0.01
    cell = (fw.lattice.matrix, np.vstack([fw.frac_coords, frac]), [s.specie.Z for s in fw] + [0] * len(frac))
    assert spglib.get_symmetry_dataset(cell, symprec=0.01) is None
