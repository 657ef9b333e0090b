"""Study notebooks are papermill-ready: one `parameters` cell matching params.yaml, no outputs, kernel python3."""
import ast
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STUDY_NOTEBOOKS = sorted((ROOT / "nbs" / "studies").glob("*/[0-9][0-9]_*.ipynb"))
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def section_of(path: Path) -> str:
    return f"{path.parent.name}_{path.stem.split('_', 1)[1]}"


def test_there_are_study_notebooks():
    assert STUDY_NOTEBOOKS, "no study notebooks found under nbs/studies/"


@pytest.mark.parametrize("path", STUDY_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_study_notebook_is_papermill_ready(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path}: kernelspec must be python3"
    parameter_cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameter_cells) == 1, f"{path}: expected exactly one cell tagged 'parameters'"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path}: study notebooks are stored without outputs"
            assert "#| export" not in cell.source, f"{path}: study notebooks never export"
    tree = ast.parse(parameter_cells[0].source)
    defaults = {t.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets}
    section = section_of(path)
    assert section in PARAMS, f"params.yaml has no section '{section}' for {path}"
    assert defaults == PARAMS[section], f"{path}: parameters cell differs from params.yaml section '{section}'"
