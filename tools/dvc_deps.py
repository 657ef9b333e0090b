"""Exact code deps for dvc.yaml: each `pgnb make`/`pgnb run` stage depends on the transitive closure of the pgnb
modules its task module or study notebook imports, computed from the syntax trees (no import is executed).

    python tools/dvc_deps.py          # list the stages whose code deps differ from their import closure
    python tools/dvc_deps.py --fix    # rewrite those deps in dvc.yaml (comments and order of other entries kept)

tests/test_dvc_deps.py runs the check."""
from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZOO = ROOT / "pgnb" / "models"
# calls that import every zoo module (the registry finds models by importing the whole package)
ZOO_LOOKUPS = {"build_model", "list_models", "model_spec", "model_fits"}
RESULT_BASE_KEYS = ("seed", "device")   # workers, threads and the scheduler change how a run is spread, not results


def module_path(dotted: str) -> Path | None:
    "The file of module `dotted` (pgnb.x.y), or None when it names no module."
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def dotted_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    "Dotted pgnb modules imported by `tree` (relative imports resolved against `package`)."
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "pgnb"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "pgnb":
                continue
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if module_path(f"{base}.{a.name}")}
    return found


def calls_zoo_lookup(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) in ZOO_LOOKUPS
               for n in ast.walk(tree))


def closure(modules: set[str], lookup: bool = False) -> set[Path]:
    """Files of `modules`, their packages' `__init__` files and everything they import, transitively; with every
    zoo module when some module of the closure (or the caller, `lookup`) builds a model by name."""
    todo, seen, trees = list(modules), set(), {}
    while True:
        while todo:
            parts = todo.pop().split(".")
            for k in range(2, len(parts) + 1):   # importing pgnb.a.b runs pgnb/a/__init__.py first
                path = module_path(".".join(parts[:k]))
                if path is None or path in seen:
                    continue
                seen.add(path)
                trees[path] = ast.parse(path.read_text())
                package = dotted_name(path) if path.name == "__init__.py" else dotted_name(path).rpartition(".")[0]
                todo += imported_modules(trees[path], package)
        lookup = lookup or any(calls_zoo_lookup(t) for p, t in trees.items() if p != ZOO / "registry.py")
        missing = [dotted_name(p) for p in ZOO.glob("*.py") if lookup and p not in seen]
        if not missing:
            break
        todo += missing
    return {p for p in seen if p.read_text().strip() and p != ROOT / "pgnb/__init__.py"}


def task_module(task: str) -> str:
    "The module whose `@task(task, ...)` declares the `pgnb make` task."
    for path in sorted((ROOT / "pgnb").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "task"
                    and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == task):
                return dotted_name(path)
    raise LookupError(f"no module of pgnb/ declares the task {task!r}")


def notebook_tree(path: Path) -> ast.AST:
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return ast.parse("\n".join(l for l in code.splitlines() if not l.lstrip().startswith(("%", "!"))))


def expected_code_deps(name: str, stage: dict) -> set[str]:
    "The pgnb files stage `name` must list: the import closure of its task module or study notebook."
    if stage["cmd"].split()[1] == "make":
        files = closure({task_module(stage["cmd"].split()[2])})
    else:
        tree = entry_tree(name, stage)
        files = closure(imported_modules(tree, ""), lookup=calls_zoo_lookup(tree))
    return {str(p.relative_to(ROOT)) for p in files}


def entry_tree(name: str, stage: dict) -> ast.AST:
    "Syntax tree of the stage's task module or study notebook."
    verb, target = stage["cmd"].split()[1:3]
    if verb == "make":   # the function that `@task(target)` decorates
        for node in ast.walk(ast.parse(module_path(task_module(target)).read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and d.args and isinstance(d.args[0], ast.Constant)
                    and d.args[0].value == target for d in node.decorator_list):
                return node
        raise LookupError(f"stage {name}: no function is decorated with @task({target!r})")
    study, step = target.split("/")
    notebooks = [d for d in stage.get("deps", []) if isinstance(d, str)
                 and d.startswith(f"nbs/studies/{study}/") and d.endswith(f"_{step}.ipynb")]
    if len(notebooks) != 1:
        raise LookupError(f"stage {name}: expected its notebook nbs/studies/{study}/NN_{step}.ipynb in deps")
    return notebook_tree(ROOT / notebooks[0])


def expected_base_params(name: str, stage: dict) -> set[str]:
    "The `base` params stage `name` must list: the result-changing keys its code reads as `base.<key>`."
    read = {n.attr for n in ast.walk(entry_tree(name, stage))
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "base"}
    return {f"base.{k}" for k in RESULT_BASE_KEYS if k in read}


def listed_base_params(stage: dict) -> set[str]:
    return {p for p in stage.get("params", []) if isinstance(p, str) and (p == "base" or p.startswith("base."))}


def listed_code_deps(stage: dict) -> set[str]:
    return {d for d in stage.get("deps", []) if isinstance(d, str) and d.startswith("pgnb/")}


def pgnb_stages(stages: dict) -> list[str]:
    return [n for n, s in stages.items() if str(s.get("cmd", "")).startswith(("pgnb make ", "pgnb run "))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fix", action="store_true", help="rewrite the differing code deps in dvc.yaml")
    args = parser.parse_args(argv)
    from ruamel.yaml import YAML   # dvc's own YAML library: keeps comments and layout
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)   # the layout dvc.yaml is written in
    dvc_file = ROOT / "dvc.yaml"
    doc = yaml.load(dvc_file.read_text())
    differing = 0
    for name in pgnb_stages(doc["stages"]):
        stage = doc["stages"][name]
        for kind, expected, listed in (("deps", expected_code_deps(name, stage), listed_code_deps(stage)),
                                       ("params", expected_base_params(name, stage), listed_base_params(stage))):
            if expected == listed:
                continue
            differing += 1
            print(f"{name} {kind}: add {sorted(expected - listed)}, remove {sorted(listed - expected)}")
            if args.fix:
                entries = stage[kind]
                keep = [e for e in entries if not (isinstance(e, str) and e in listed)]
                entries.clear()
                entries.extend(sorted(expected) + keep if kind == "params" else keep + sorted(expected))
    if args.fix and differing:
        with open(dvc_file, "w") as f:
            yaml.dump(doc, f)
    return 1 if differing and not args.fix else 0


if __name__ == "__main__":
    sys.exit(main())
