#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG NUM_PROCESSES [train.py options]
# One process per GPU; on a machine without CUDA, NUM_PROCESSES CPU workers with the gloo backend.
# Environment: PORT (default: a free local port; required, and the same on every node, when NNODES > 1),
# NNODES, NODE_RANK, MASTER_ADDR, PYTHON (the interpreter; default: python).
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

# PORT unset: a free local port (single node only; every node of a multi-node run needs the same PORT).
# PORT set: it must be free here before torchrun starts (checked on the master node, NODE_RANK 0).
if [[ -z "${PORT:-}" ]]; then
    if (( NNODES > 1 )); then
        echo "error: PORT is not set (a multi-node run, NNODES=$NNODES, needs the same free PORT on every node; set it)" >&2
        exit 1
    fi
    PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
elif [[ ! "$PORT" =~ ^[0-9]+$ ]] || (( 10#$PORT < 1 || 10#$PORT > 65535 )); then
    echo "error: PORT=$PORT is not a port number (give 1-65535, or unset PORT to pick a free one)" >&2
    exit 1
elif [[ "$NODE_RANK" == 0 ]]; then
    status=0
    "$PYTHON" -c '
import errno, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("", int(sys.argv[1])))
except OSError as err:
    sys.exit(3 if err.errno == errno.EADDRINUSE else f"error: port {sys.argv[1]}: {err.strerror} (unset PORT to pick a free one, or choose another)")
' "$PORT" || status=$?
    if (( status == 3 )); then
        echo "error: port $PORT is in use (unset PORT to pick a free one, or choose another)" >&2
        exit 1
    elif (( status != 0 )); then
        exit 1
    fi
fi

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
