"""The scale overlays params/<scale>.yaml (issue #13: one paper-scale path; issue #14: the medium scale): every key
exists in params.yaml, every overlaid section validates with its schema (dataset sections) or with its study
notebook's parameters cell (study sections), and the switch prints/writes exactly the overlay."""
import shutil
import subprocess
import sys

import pytest

from pgnb.core import SCALES_DIR, ParamsError, apply_scale, read_params_file, read_scale, repo_root, scale_overrides, scales
from pgnb.runner import find_steps, load_step_params

ROOT = repo_root()


def test_the_overlays_exist():
    assert {"paper", "medium"} <= set(scales())


@pytest.mark.parametrize("scale", scales())
def test_overlay_keys_exist_and_validate(scale):
    overlay = read_scale(scale)  # key existence, value kinds and the registered schemas
    params = read_params_file()
    steps = find_steps()
    for section, values in overlay.items():
        assert set(values) <= set(params[section]), section
        step = section.replace("_", "/", 1)
        if step in steps:  # a study notebook: its parameters cell is the schema
            checked = load_step_params(step, values)
            for key, value in values.items():
                assert getattr(checked, key) == value, (section, key)


def test_paper_overlay_holds_what_the_notebook_switch_did():
    "The values that `paper_scale: true` used to set inside 02_pgnn.ipynb now live in params/paper.yaml."
    from pgnb.models import CNN3D_TRAINING, TABLE2_TRAINING
    pgnn = {**read_params_file()["polycrystal_pgnn"], **read_scale("paper")["polycrystal_pgnn"]}
    assert "paper_scale" not in pgnn
    assert (pgnn["table2_lr"], pgnn["table2_batch_size"], pgnn["table2_epochs"]) == \
        (TABLE2_TRAINING["lr"], TABLE2_TRAINING["batch_size"], TABLE2_TRAINING["epochs"])
    assert (pgnn["cnn_lr"], pgnn["cnn_batch_size"], pgnn["cnn_epochs"], pgnn["cnn_padding"]) == \
        (CNN3D_TRAINING["lr"], CNN3D_TRAINING["batch_size"], CNN3D_TRAINING["epochs"], 0)
    assert (pgnn["resnet_widths"], pgnn["resnet_blocks"], pgnn["resnet_epochs"]) == ([64, 128, 256, 512], [2, 2, 2, 2], 50)
    assert pgnn["tuned_epochs"] == pgnn["readout_epochs"] == 200 and pgnn["patience"] == 20


def test_medium_is_the_issue_14_scale():
    voronoi = {**read_params_file()["polycrystal_voronoi"], **read_scale("medium")["polycrystal_voronoi"]}
    paper = {**read_params_file()["polycrystal_voronoi"], **read_scale("paper")["polycrystal_voronoi"]}
    assert voronoi["n_samples"] >= 2000 and voronoi["grid"] == 32 and voronoi["n_elastic"] == 604
    ratio = (paper["grid"] / voronoi["grid"]) ** 3  # same grain volume in voxels as the paper scale
    assert voronoi["grains_min"] == round(paper["grains_min"] / ratio)
    assert voronoi["grains_max"] == round(paper["grains_max"] / ratio)


@pytest.mark.parametrize("scale", scales())
def test_write_then_read_back(tmp_path, scale):
    shutil.copy(ROOT / "params.yaml", tmp_path)
    shutil.copy(ROOT / "settings.ini", tmp_path)
    shutil.copytree(ROOT / SCALES_DIR, tmp_path / SCALES_DIR)
    before = (tmp_path / "params.yaml").read_text().splitlines()
    apply_scale(scale, root=tmp_path)
    after_text = (tmp_path / "params.yaml").read_text()
    after = read_params_file(tmp_path / "params.yaml")
    for section, values in read_scale(scale).items():
        for key, value in values.items():
            assert after[section][key] == value
    untouched = read_params_file(ROOT / "params.yaml")
    for section in untouched:  # nothing outside the overlay changes
        for key, value in untouched[section].items():
            if key not in read_scale(scale).get(section, {}):
                assert after[section][key] == value, (section, key)
    lines = after_text.splitlines()
    assert len(lines) == len(before)
    assert sum(a != b for a, b in zip(before, lines)) <= len(scale_overrides(scale))  # one line per changed key
    assert apply_scale(scale, root=tmp_path) == []


def test_switch_script(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "scale.py"), "medium"], capture_output=True,
                         text=True, cwd=ROOT, check=True).stdout
    assert out.startswith("dvc exp run ") and "-S polycrystal_voronoi.n_samples=2000" in out
    bad = subprocess.run([sys.executable, str(ROOT / "tools" / "scale.py"), "huge"], capture_output=True, text=True,
                         cwd=ROOT)
    assert bad.returncode == 2 and "no scale 'huge'" in bad.stderr


def test_bad_overlay_is_refused_by_file_and_key(tmp_path):
    shutil.copy(ROOT / "params.yaml", tmp_path)
    shutil.copy(ROOT / "settings.ini", tmp_path)
    (tmp_path / SCALES_DIR).mkdir()
    (tmp_path / SCALES_DIR / "x.yaml").write_text("polycrystal_voronoi:\n  n_samples: -5\n")
    with pytest.raises(ParamsError, match=r"params/x.yaml: params section 'polycrystal_voronoi', key 'n_samples'"):
        read_scale("x", root=tmp_path)
    (tmp_path / SCALES_DIR / "x.yaml").write_text("polycrystal_nope:\n  a: 1\n")
    with pytest.raises(ParamsError, match="no such section"):
        read_scale("x", root=tmp_path)
