"""The interstitial-network engine of pgnb.li.network (scipy Voronoi) against CAVD on the reference structures.

CAVD (`pip install cavd==0.5.9 mgtoolbox-kernel==0.1.2 periodictable`) is optional: the test skips without it.
CAVD's atom network is built from the pymatgen framework (written as a plain element-labelled CIF with the same
Shannon radii that pgnb uses), not from a user's CIF path. CAVD reports the largest radius of a free sphere that
percolates along each lattice direction; for these orthogonal cells its largest value is the 1D and its smallest
the 3D percolation radius of `pgnb.li.network.percolation_radius`.
"""
import warnings

import pytest
from pymatgen.core import Structure
from pymatgen.io.cif import CifWriter

cavd = pytest.importorskip("cavd.netstorage")

from pgnb.li import network  # noqa: E402
from pgnb.li.structures import reference_structures, shannon_radius  # noqa: E402


def cavd_percolation_radii(structure, tmp_path, name):
    "CAVD's percolation radii (Å) along a, b, c of the non-Li framework of `structure`."
    framework = network.framework_of(structure)
    radius = {site.specie.symbol: shannon_radius(site.specie, "VI") for site in framework}
    plain = Structure(framework.lattice, [site.specie.symbol for site in framework], framework.frac_coords)
    path = tmp_path / f"{name}.cif"
    CifWriter(plain).write_file(path)
    labels = [line.split()[1] for line in path.read_text().splitlines()
              if len(line.split()) == 7 and line.split()[0] in radius]
    radii = {label: radius[label.rstrip("0123456789")] for label in labels}
    atoms = cavd.AtomNetwork.read_from_CIF(str(path), radii, True)
    vornet, _, _, faces = atoms.perform_voronoi_decomposition(True)
    return cavd.connection_values_list(str(path.with_suffix(".resex")), vornet.add_facecenters(faces))


@pytest.mark.parametrize("name", ["Li3N", "LiFePO4", "LLZO_tetragonal"])
def test_percolation_radii_match_cavd(name, tmp_path):
    structure = reference_structures()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cavd_percolation_radii(structure, tmp_path, name)
    ours = {d: network.percolation_radius(structure, d) for d in (1, 3)}
    assert ours[1] == pytest.approx(max(theirs), abs=0.02), (ours, theirs)
    assert ours[3] == pytest.approx(min(theirs), abs=0.02), (ours, theirs)
