"""The OBELiX join of li.experimental against the external folder (skipped where it is absent)."""
import pytest

from pgnb.li import experimental as X

FOLDER = X.obelix_folder()
pytestmark = pytest.mark.skipif(not FOLDER.exists(), reason=f"{FOLDER} absent (external OBELiX data)")


def test_join_gives_measured_activation_energies():
    table = X.load_obelix(FOLDER)
    assert table.id.is_unique and table.ea_exp_eV.between(0.05, 2.5).all()
    # Laskowski ID 3 holds Li7BiO6 (0.58 eV) and Li7SbO6 (0.7 eV): the join picks each by its composition
    assert table.set_index("formula").loc[["Li7BiO6", "Li7SbO6"], "ea_exp_eV"].tolist() == [0.58, 0.7]


def test_cif_items_are_dataset_items():
    from pgnb.li import structures as st
    table = X.load_obelix(FOLDER)
    item = X.read_obelix_cif(FOLDER, table.id.iloc[0])
    assert isinstance(item, st.CifStructure) and item.name.endswith(".cif") and len(item.sha256) == 64
    assert "Li" in {el.symbol for el in item.structure.composition.elements}
