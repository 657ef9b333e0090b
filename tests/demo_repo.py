"""Test fixture: a minimal pgnb repository with one study step `demo/step` (used by tests/ and by the
runner's and the CLI's notebooks, which put this folder on `sys.path`)."""
import os
from pathlib import Path

import nbformat
import yaml

KERNEL = "python3"
DEMO_PARAMETERS = "n = 3\nscale = 0.5\nlabel = 'demo'\n"
DEMO_BODY = """\
import json, os, time
from pathlib import Path
from pgnb.core import load_params, repo_root, write_metrics
start = time.perf_counter()
base = load_params("base")
assert Path.cwd() == repo_root(), (Path.cwd(), repo_root())
if label == "boom":
    raise ValueError("demo failure")
write_metrics(repo_root() / "results" / "demo" / "step.json", {"total": n * scale, "seed": base.seed, "label": label})
print("total", n * scale)
print(f"[time] took {time.perf_counter() - start:.6f} s")
"""


def make_demo_repo(path: str | os.PathLike, parameters: str = DEMO_PARAMETERS, body: str = DEMO_BODY,
                   section: dict | None = None) -> Path:
    "Create a minimal pgnb repository at `path` with one study step `demo/step`."
    root = Path(path)
    (root / "nbs" / "studies" / "demo").mkdir(parents=True, exist_ok=True)
    (root / "settings.ini").write_text("[DEFAULT]\nlib_name = pgnb\n")
    base = dict(seed=11, device="cpu", workers=1, threads=1, scheduler_address="")
    section = section if section is not None else dict(n=3, scale=0.5, label="demo")
    (root / "params.yaml").write_text(yaml.safe_dump({"base": base, "demo_step": section}, sort_keys=False))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo step"),
                nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "nbs" / "studies" / "demo" / "01_step.ipynb")
    return root
