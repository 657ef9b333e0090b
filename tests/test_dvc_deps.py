"""dvc.yaml's dependencies are exact: each stage lists, as code deps, the transitive closure of the pgnb modules
that its task or study notebook imports (tools/dvc_deps.py computes it from the syntax trees), and only the `base`
params that change results. Otherwise a code change leaves results stale while `dvc status` says clean."""
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from dvc_deps import (closure, expected_base_params, expected_code_deps, listed_base_params, listed_code_deps,
                      pgnb_stages)  # noqa: E402

STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
# how a run is spread over processes, never what it computes
EXECUTION_ONLY = {"base", "base.workers", "base.threads", "base.scheduler_address"}


@pytest.mark.parametrize("name", pgnb_stages(STAGES))
def test_code_deps_are_the_import_closure(name):
    expected, listed = expected_code_deps(name, STAGES[name]), listed_code_deps(STAGES[name])
    assert expected == listed, (f"stage {name}: code deps differ from the import closure: add "
                                f"{sorted(expected - listed)}, remove {sorted(listed - expected)} "
                                "(`python tools/dvc_deps.py --fix` rewrites them)")


@pytest.mark.parametrize("name", pgnb_stages(STAGES))
def test_base_params_are_those_read(name):
    expected, listed = expected_base_params(name, STAGES[name]), listed_base_params(STAGES[name])
    assert expected == listed, (f"stage {name}: lists base params {sorted(listed)} but its code reads "
                                f"{sorted(expected)} (`python tools/dvc_deps.py --fix` rewrites them)")


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


def test_a_model_lookup_brings_in_every_zoo_module():
    with_lookup = {p.name for p in closure({"pgnb.models.registry"}, lookup=True)}
    zoo = {p.name for p in (ROOT / "pgnb/models").glob("*.py")}
    assert zoo <= with_lookup
