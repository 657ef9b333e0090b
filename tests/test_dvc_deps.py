"""dvc.yaml's dependencies are exact: each stage lists, as code deps, the transitive closure of the pgnb modules
that its task or study notebook imports (computed here from the syntax trees), and only the `base` params that
change results. Otherwise a code change leaves results stale while `dvc status` says clean."""
import ast
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
# execution settings: how a run is spread over processes, never what it computes
EXECUTION_ONLY = {"base", "base.workers", "base.threads", "base.scheduler_address"}


def module_path(dotted: str) -> Path | None:
    "The file of module `dotted` (pgnb.x.y), or None when it names no module."
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def dotted_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    "Dotted pgnb modules imported by `tree` (relative imports resolved against `package`)."
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "pgnb"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "pgnb":
                continue
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if module_path(f"{base}.{a.name}")}
    return found


def closure(modules: set[str]) -> set[Path]:
    "Files of `modules`, their parent packages' __init__ files and everything they import, transitively."
    todo, seen = list(modules), set()
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for k in range(2, len(parts) + 1):   # importing pgnb.a.b runs pgnb/a/__init__.py first
            path = module_path(".".join(parts[:k]))
            if path is None or path in seen:
                continue
            seen.add(path)
            package = dotted_name(path) if path.name == "__init__.py" else ".".join(dotted_name(path).split(".")[:-1])
            todo += imported_modules(ast.parse(path.read_text()), package)
            if path == ROOT / "pgnb/models/registry.py":   # build_model imports every zoo module to find names
                todo += [dotted_name(p) for p in (ROOT / "pgnb/models").glob("*.py")]
    return {p for p in seen if p.read_text().strip() and p != ROOT / "pgnb/__init__.py"}


def task_module(task: str) -> str:
    "The module whose `@task(task, ...)` declares the `pgnb make` task."
    for path in sorted((ROOT / "pgnb").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "task"
                    and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == task):
                return dotted_name(path)
    raise AssertionError(f"no module declares task {task!r}")


def notebook_modules(path: Path) -> set[str]:
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    return imported_modules(ast.parse(code), "")


def stage_entry(name: str, stage: dict) -> set[str]:
    verb, target = stage["cmd"].split()[1:3]
    if verb == "make":
        return {task_module(target)}
    study, step = target.split("/")
    notebooks = [d for d in stage.get("deps", []) if isinstance(d, str)
                 and d.startswith(f"nbs/studies/{study}/") and d.endswith(f"_{step}.ipynb")]
    assert len(notebooks) == 1, f"stage {name}: expected its study notebook nbs/studies/{study}/NN_{step}.ipynb in deps"
    return notebook_modules(ROOT / notebooks[0])


@pytest.mark.parametrize("name", [n for n, s in STAGES.items() if s["cmd"].startswith("pgnb ")])
def test_code_deps_are_the_import_closure(name):
    stage = STAGES[name]
    expected = {str(p.relative_to(ROOT)) for p in closure(stage_entry(name, stage))}
    listed = {d for d in stage.get("deps", []) if isinstance(d, str) and d.startswith("pgnb/")}
    missing, extra = sorted(expected - listed), sorted(listed - expected)
    assert not missing and not extra, f"stage {name}: code deps differ from the import closure; " \
                                      f"add {missing}, remove {extra}"


@pytest.mark.parametrize("name", list(STAGES))
def test_no_stage_depends_on_execution_settings(name):
    params = [p if isinstance(p, str) else next(iter(p)) for p in STAGES[name].get("params", [])]
    assert not EXECUTION_ONLY & set(params), (
        f"stage {name} lists {sorted(EXECUTION_ONLY & set(params))}: list base.seed (and base.device where a "
        "model is trained) instead; workers, threads and the scheduler do not change results")


def test_closure_follows_package_inits_and_relative_imports():
    files = {str(p.relative_to(ROOT)) for p in closure({"pgnb.models.pgnn"})}
    assert {"pgnb/models/__init__.py", "pgnb/models/pgnn.py", "pgnb/models/layers.py",
            "pgnb/models/registry.py"} <= files
