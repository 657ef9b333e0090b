#!/usr/bin/env bash
# Set up and run the whole pipeline at the small default scale (offline, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
. .venv/bin/activate
dvc repro "$@"
