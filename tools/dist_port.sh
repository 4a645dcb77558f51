# Sourced by dist_train.sh and dist_test.sh (needs NNODES, NODE_RANK, PYTHON); sets PORT.
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
