"""The structure families encoded from published structures (lisicon: γ-Li3PO4, lgps: Li10GeP2S12): every recipe of
the catalogue builds an ordered, charge-neutral cell of the intended composition that the dataset stage can use,
and BVSE runs on the prototypes. (The transcription checks against the sources are in nbs/30_li.structures.ipynb.)"""
import itertools
import warnings

import numpy as np
import pytest
from pymatgen.core import Composition

from pgnb.li import bvse
from pgnb.li import structures as st

NEW_FAMILIES = ("lisicon", "lgps")


def _recipes():
    return st.substitution_catalogue(list(NEW_FAMILIES), orderings=1)


def test_catalogue_has_the_substitutions():
    keys = {r.key for r in _recipes()}
    assert len(keys) == 11
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
    else:
        anion = choices["S"][0][0].rstrip("-0123456789")
        m = next(sp for sp, _ in choices["M"] if sp != "P5+").rstrip("+0123456789")
        assert el == Composition({"Li": 20, m: 2, "P": 4, anion: 24})
    d = s.distance_matrix[np.triu_indices(len(s), 1)]
    assert d.min() > 1.5, f"{recipe.key}: atoms {d.min():.2f} A apart"
    li = [x for x in s if x.specie.symbol == "Li"]
    assert min(a.distance(b) for a, b in itertools.combinations(li, 2)) > 2.0


@pytest.mark.parametrize("family", NEW_FAMILIES)
def test_bvse_runs_on_the_prototypes(family):
    recipe = next(r for r in _recipes() if r.family == family)      # the host recipe (first option of every site)
    ea = bvse.activation_energy(st.build_structure(recipe))
    assert 0.1 < ea["1D"] <= ea["2D"] <= ea["3D"] < 1.5, ea
