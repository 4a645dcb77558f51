#!/usr/bin/env bash
# The main job: set up the environment if needed, generate the synthetic shapes data, train the demo model
# with 2 processes (tools/dist_train.sh), evaluate it (tools/test.py prints the PQ table) and save a picture
# with rows of image | ground truth | prediction (tools/misc/show_panoptic_results.py) to
# work_dirs/<config name>/demo_prediction.png.
#
# Usage: bash tools/run_demo.sh [CONFIG]
#   CONFIG    default: configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py
# Environment:
#   MMPANOPTIC_VENV    environment folder (default: .venv); created with tools/setup_env.sh when missing
#   MMPANOPTIC_WHEELS  local wheel folder forwarded to tools/setup_env.sh
#   NPROC              training processes (default: 2; CPU workers without CUDA, one per GPU with it)
#   PORT               rendezvous port of the training processes (default: 29500)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
config=${1:-configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py}
nproc=${NPROC:-2}
name=$(basename "$config" .py)
work_dir=work_dirs/$name
data_dir=data/synthetic_shapes
start=$SECONDS

stage() { printf '\n=== [%4ds] %s\n' $((SECONDS - start)) "$*"; }

if [ ! -f "$config" ]; then
  echo "run_demo.sh: config '$config' does not exist" >&2
  exit 2
fi

venv=$(realpath -m "${MMPANOPTIC_VENV:-.venv}")
if [ ! -x "$venv/bin/python" ]; then
  stage "setting up the environment ($venv)"
  if [ -n "${MMPANOPTIC_WHEELS:-}" ]; then
    bash tools/setup_env.sh --venv "$venv" --wheels "$MMPANOPTIC_WHEELS"
  else
    bash tools/setup_env.sh --venv "$venv"
  fi
fi
py=$venv/bin/python

stage "generating the synthetic shapes dataset in $data_dir"
"$py" tools/dataset_converters/synthetic_shapes.py "$data_dir" --reuse --overwrite

stage "training $config with $nproc processes"
PYTHON=$py bash tools/dist_train.sh "$config" "$nproc" --work-dir "$work_dir"
checkpoint=$(cat "$work_dir/last_checkpoint")

stage "evaluating $checkpoint"
"$py" tools/test.py "$config" "$checkpoint" --work-dir "$work_dir" --out "$work_dir/results.pth"

stage "drawing predictions next to ground truth"
"$py" tools/misc/show_panoptic_results.py "$config" "$work_dir/results.pth" "$work_dir/demo_prediction.png" --num 8

stage "done in $((SECONDS - start)) s; picture: $work_dir/demo_prediction.png"
