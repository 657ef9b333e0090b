#!/usr/bin/env bash
# Create (or reuse) .venv with pgnb and its dev tools. Idempotent; needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip setuptools wheel
# torch first, pinned: a local CPU wheel here; anything unpinned pulls gigabytes of CUDA packages.
python -c "import torch" 2>/dev/null || python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[dev]"
# papermill runs study notebooks with kernel `python3`: register this venv's kernel under that name.
python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (pgnb)" >/dev/null
