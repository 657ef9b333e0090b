"""The structure families encoded from published structures (lisicon: γ-Li3PO4, lgps: Li10GeP2S12) or read from
pymatgen's shipped test structures (nasicon: Li3V2(PO4)3): every recipe of the catalogue builds an ordered, charge-neutral cell of the intended composition that the dataset stage can use,
and BVSE runs on the prototypes. (The transcription checks against the sources are in nbs/30_li.structures.ipynb.)"""
import itertools
import warnings

import numpy as np
import pytest
from pymatgen.core import Composition

from pgnb.li import bvse
from pgnb.li import structures as st

NEW_FAMILIES = ("lisicon", "lgps", "nasicon")


def _recipes():
    return st.substitution_catalogue(list(NEW_FAMILIES), orderings=1)


def test_catalogue_has_the_substitutions():
    keys = {r.key for r in _recipes() if r.family != "nasicon"}
    assert len(keys) == 11
    nasicon = [r for r in _recipes() if r.family == "nasicon"]
    v_pure = {dict(r.choices)["V"][0][0] for r in nasicon if len(dict(r.choices)["V"]) == 1}
    assert v_pure == {"V3+", "Cr3+", "Fe3+", "Ti3+", "Ga3+", "Mn3+", "Co3+", "Ni3+"}
    assert len(nasicon) == 8 * 3 + 98 * 2 and not any(len(dict(r.choices)["V"]) == 2 and len(dict(r.choices)["P"]) == 2
                                                      for r in nasicon)
    options = {(r.family, label, option) for r in _recipes() for label, option in r.choices}
    assert ("lisicon", "P", (("As5+", 1.0),)) in options and ("lisicon", "P", (("V5+", 1.0),)) in options
    assert ("lgps", "M", (("P5+", 0.5), ("Sn4+", 0.5))) in options and ("lgps", "S", (("Se2-", 1.0),)) in options


@pytest.mark.parametrize("recipe", _recipes(), ids=lambda r: r.key)
def test_every_recipe_builds(recipe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = st.build_structure(recipe)
    assert s.is_ordered and len(s) <= 100
    assert abs(sum(sp.oxi_state * n for sp, n in s.composition.items())) < 1e-9
    assert all(lab for lab in s.site_properties["label"])
    # the composition is the prototype's with the chosen species: Li3PO4-type Li12X4O16, LGPS-type Li20M2P4A24
    choices = dict(recipe.choices)
    el = s.composition.element_composition
    if recipe.family == "lisicon":
        assert el["Li"] == 12 and el["O"] == 16 and sum(el[sp.rstrip("+0123456789")] for sp, _ in choices["P"]) == 4
    elif recipe.family == "nasicon":   # Li6 M4 X6 O24, the 1:1 mixtures as 2 + 2 and 3 + 3
        expected = {"Li": 6, "O": 24}
        for label, n in (("V", 4), ("P", 6)):
            for sp, f in choices[label]:
                el_sp = sp.rstrip("+0123456789")
                expected[el_sp] = expected.get(el_sp, 0) + n * f
        assert el.almost_equals(Composition(expected)), (el, expected)
        assert len(s) == 40
    else:
        anion = choices["S"][0][0].rstrip("-0123456789")
        m = next(sp for sp, _ in choices["M"] if sp != "P5+").rstrip("+0123456789")
        assert el == Composition({"Li": 20, m: 2, "P": 4, anion: 24})
    d = s.distance_matrix[np.triu_indices(len(s), 1)]
    # NASICON's shortest bond is P-O 1.52 A; the isotropic lattice guess of a smaller V substituent (Al/Ni: -2 %)
    # compresses the rigid PO4 with the rest until relaxation
    closest = 1.47 if recipe.family == "nasicon" else 1.5
    assert d.min() > closest, f"{recipe.key}: atoms {d.min():.2f} A apart"
    li = [x for x in s if x.specie.symbol == "Li"]
    assert min(a.distance(b) for a, b in itertools.combinations(li, 2)) > 2.0


@pytest.mark.parametrize("family", NEW_FAMILIES)
def test_bvse_runs_on_the_prototypes(family):
    recipe = next(r for r in _recipes() if r.family == family)      # the host recipe (first option of every site)
    ea = bvse.activation_energy(st.build_structure(recipe))
    assert 0.1 < ea["1D"] <= ea["2D"] <= ea["3D"] < 1.5, ea


def test_nasicon_prototype_is_pymatgens_file():
    proto = st.FAMILIES["nasicon"].build()
    ref = st.shipped_structure("Li3V2(PO4)3.json")
    assert np.allclose(proto.lattice.matrix, ref.lattice.matrix) and np.allclose(proto.frac_coords, ref.frac_coords)
    assert {str(sp) for sp in proto.composition} == {"Li+", "V3+", "P5+", "O2-"}
    assert proto.composition.element_composition.almost_equals(Composition("Li6V4P6O24"))
    labels = proto.site_properties["label"]
    assert {lab[0] for lab in labels if lab.startswith("V")} == {"V"} and len(set(labels)) == 22   # C2 orbits
    bonds = lambda a, b, cut: np.array([n.nn_distance for x in proto if x.specie.symbol == a
                                        for n in proto.get_neighbors(x, cut) if n.specie.symbol == b])
    vo, po = bonds("V", "O", 2.3), bonds("P", "O", 1.8)
    assert len(vo) == 24 and 1.95 < vo.min() and vo.max() < 2.10
    assert len(po) == 24 and 1.50 < po.min() and po.max() < 1.58
    with pytest.raises(FileNotFoundError, match="does not ship the test structure"):
        st.shipped_structure("no_such_structure.json")
