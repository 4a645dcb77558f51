#!/usr/bin/env bash
# Create a virtual environment with the pinned mmpanoptic stack and install mmpanoptic into it.
#
# Usage: bash tools/setup_env.sh [--venv DIR] [--wheels DIR] [--cuda] [--regular]
#   --venv DIR    environment folder (default: .venv, or $MMPANOPTIC_VENV)
#   --wheels DIR  local wheel cache searched first, e.g. ../shared/wheels (or $MMPANOPTIC_WHEELS);
#                 without a matching mmcv wheel, mmcv 2.1.0 is compiled from source (about an hour on 2 cores)
#   --cuda        use the CUDA build of torch 2.13.0 that you installed into the environment first (see README
#                 "Install on GPU") and compile mmcv's CUDA ops (needs nvcc matching torch's CUDA version)
#   --regular     install mmpanoptic as a regular (non-editable) package, as `mim download` requires
# The script is idempotent: a second run only checks the environment.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${MMPANOPTIC_VENV:-$here/.venv}
wheels=${MMPANOPTIC_WHEELS:-}
cuda=0
editable=1
while [ $# -gt 0 ]; do
  case $1 in
    --venv) venv=$2; shift 2 ;;
    --wheels) wheels=$2; shift 2 ;;
    --cuda) cuda=1; shift ;;
    --regular) editable=0; shift ;;
    *) echo "setup_env.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
pip_args=(--quiet)
if [ -n "$wheels" ]; then
  if [ ! -d "$wheels" ]; then
    echo "setup_env.sh: wheel folder '$wheels' does not exist" >&2
    exit 2
  fi
  pip_args+=(--find-links "$(cd "$wheels" && pwd)")
fi

stamp="$venv/.mmpanoptic-stack"
stack_version="torch2.13.0-mmcv2.1.0-mmdet3.3.0-mmseg1.2.2-mmengine0.10.7-cuda$cuda"
if [ "$(cat "$stamp" 2>/dev/null)" != "$stack_version" ]; then
  "$py" -m pip install "${pip_args[@]}" "setuptools>=77,<82" wheel ninja
  if [ $cuda = 1 ]; then
    "$py" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') and torch.version.cuda else 1)" || {
      echo "setup_env.sh: --cuda needs a CUDA build of torch 2.13.0 in $venv first (see README, Install on GPU)" >&2
      exit 2
    }
    export FORCE_CUDA=1
  else
    "$py" -m pip install "${pip_args[@]}" torch==2.13.0
  fi
  # mmcv's setup.py imports torch to compile its ops, hence --no-build-isolation.
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "$py" -m pip install "${pip_args[@]}" --no-build-isolation mmcv==2.1.0
  "$py" -m pip install "${pip_args[@]}" -r "$here/requirements/runtime.txt" -r "$here/requirements/tests.txt"
  "$py" -m pip install "${pip_args[@]}" --no-deps -r "$here/requirements/no_deps.txt"
  "$py" -m pip check | grep -v -e '^openmim .* opendatalab' -e '^panopticapi-lite ' || true
  "$py" -c "import mmcv.ops; from mmcv.ops import ModulatedDeformConv2d, MultiScaleDeformableAttention" || {
    echo "setup_env.sh: mmcv was installed without its compiled ops; remove it and run again with torch present" >&2
    exit 1
  }
  echo "$stack_version" > "$stamp"
fi

if [ $editable = 1 ]; then
  "$py" -m pip install "${pip_args[@]}" --no-deps --no-build-isolation -e "$here"
else
  "$py" -m pip install "${pip_args[@]}" --no-deps --no-build-isolation "$here"
fi
"$py" -c "import mmpanoptic, mmcv.ops, mmdet, mmseg; print('mmpanoptic', mmpanoptic.__version__, 'ready in', '$venv')"
