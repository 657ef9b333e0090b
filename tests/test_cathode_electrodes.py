"""Instance → graph → metrics on 2D slices of real labelled electrode volumes (skipped when they are absent).

The volumes (../shared/external/electrodes/, see its README and licences) are liquid-cell electrodes: active NMC
particles, pore (electrolyte, the ion conductor: mapped to the SSE code) and carbon-binder (electron conductor:
mapped to the graphite code). They test robustness on real morphologies, not the solid-state results."""
import os
from pathlib import Path

import numpy as np
import pytest

from pgnb.cathode import analysis, graph

ROOT = Path(__file__).resolve().parents[1]


def _electrodes_folder() -> Path:
    "PGNB_ELECTRODES if set, else the first existing shared/external/electrodes beside this checkout or above it."
    if os.environ.get("PGNB_ELECTRODES"):
        return Path(os.environ["PGNB_ELECTRODES"])
    for parent in ROOT.parents:
        candidate = parent / "shared" / "external" / "electrodes"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "external" / "electrodes"


ELECTRODES = _electrodes_folder()
VOLUMES = {  # file -> {label value: phase code (1 ion conductor, 2 NMC, 3 electron conductor)}
    "nmc1_generatedCBD_bridge.tif": {0: 1, 1: 2, 2: 3},
    "taufactor_electrode.tiff": {0: 1, 85: 2, 170: 3},
}


@pytest.fixture(scope="module", params=sorted(VOLUMES))
def slice_phase(request):
    path = ELECTRODES / request.param
    if not path.exists():
        pytest.skip(f"{path} absent (external test data)")
    import tifffile
    volume = tifffile.imread(path)
    labels = volume[volume.shape[0] // 2]
    unknown = set(np.unique(labels)) - set(VOLUMES[request.param])
    assert not unknown, f"{path.name}: unexpected labels {unknown}"
    labels = labels[: labels.shape[0] // 2 * 2, : labels.shape[1] // 2 * 2]  # snow2 crops odd sizes to even
    phase = np.zeros(labels.shape, np.int64)
    for value, code in VOLUMES[request.param].items():
        phase[labels == value] = code
    return request.param, phase


def test_instances_graph_metrics_on_real_slice(slice_phase):
    name, phase = slice_phase
    inst = graph.segment_instances(phase)
    assert (inst[phase > 0] > 0).all() and (inst[phase == 0] == 0).all()
    G = graph.particle_graph(phase, inst)
    table = graph.nmc_table(G)
    metrics = analysis.graph_metrics(G)
    n_nmc = len(np.unique(inst[phase == 2]))
    assert len(table) == len(metrics) == n_nmc >= 10, name
    # real particles touch each other and both conductors: TPBs exist, most NMC have neighbours
    assert len(graph.triple_phase_boundaries(G)) > 0 and (metrics.degree > 0).mean() > 0.9
    assert np.isfinite(metrics[analysis.METRICS].to_numpy(float)).all()
    assert (table.n_tpb > 0).mean() > 0.1
    H = graph.to_hetero_data(G)
    assert H["NMC"].num_nodes == n_nmc


def test_watershed_vs_snow2_on_real_slice(slice_phase):
    "porespy's snow2 (a reference image → network extraction) finds a similar number of NMC regions."
    import porespy as ps
    name, phase = slice_phase
    ours = len(np.unique(graph.segment_instances(phase)[phase == 2]))
    snow = ps.networks.snow2(phase == 2, boundary_width=0)
    theirs = len(np.unique(snow.regions[phase == 2]))
    assert 0.4 < ours / theirs < 2.5, (name, ours, theirs)
