"""dvc.yaml is sound: no default stage reads data/, every dependency exists or is made, outputs do not overlap."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def paths(entries):
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries or []]


def outputs(stage):
    return paths(stage.get("outs")) + paths(stage.get("metrics")) + paths(stage.get("plots"))


def test_no_stage_depends_on_data():
    for name, stage in STAGES.items():
        for dep in paths(stage.get("deps")):
            assert Path(dep).parts[0] != "data", f"stage {name} depends on {dep}: data/ is opt-in only"


def test_every_dependency_exists_or_is_an_output():
    made = {out for stage in STAGES.values() for out in outputs(stage)}
    for name, stage in STAGES.items():
        for dep in paths(stage.get("deps")):
            assert (ROOT / dep).exists() or dep in made, f"stage {name}: dependency {dep} neither exists nor is made"


def test_outputs_do_not_overlap():
    outs = [(name, Path(out)) for name, stage in STAGES.items() for out in outputs(stage)]
    for i, (a_stage, a) in enumerate(outs):
        for b_stage, b in outs[i + 1:]:
            assert a != b and a not in b.parents and b not in a.parents, f"{a_stage}:{a} overlaps {b_stage}:{b}"


def test_stage_params_exist():
    "Every params entry of a stage (a section, or a dotted key such as base.seed) is in params.yaml."
    for name, stage in STAGES.items():
        for entry in stage.get("params", []):
            node = PARAMS
            for part in entry.split("."):
                assert isinstance(node, dict) and part in node, f"stage {name} lists params {entry}, missing from params.yaml"
                node = node[part]


def test_data_folder_is_opt_in():
    """data/ holds only its README in git; datasets a user adds are `dvc add`ed one by one (data/<name>.dvc), so a
    fresh clone without a remote has nothing missing from the cache and `dvc status` is clean."""
    assert (ROOT / "data" / "README.md").exists()
    assert not (ROOT / "data.dvc").exists(), "data.dvc tracks a folder a clone cannot fetch: dvc status is never clean"
