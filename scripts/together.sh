# Sourced by run-dev.sh and serve.sh: run a few long-lived processes side by side and stop
# them all when any one exits or when this script gets Ctrl-C (SIGINT) or SIGTERM.
# Each process gets SIGTERM, and SIGKILL if it is still there after STOP_GRACE seconds
# (default 8, so that `make run` stops within 10 seconds).

pids=()

start() {  # start CMD ARGS...: run one process in the background
  "$@" &
  pids+=("$!")
}

stop_all() {
  trap - EXIT INT TERM
  local pid alive grace="${STOP_GRACE:-8}"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # The grace is elapsed time (bash's clock in microseconds), not a count of sleeps: on a
  # loaded machine each `sleep 0.1` takes longer than its tenth of a second.
  local now="${EPOCHREALTIME/[.,]/}"
  local deadline=$((now + grace * 1000000))
  while [ "${EPOCHREALTIME/[.,]/}" -lt "$deadline" ]; do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "$(basename "$0"): process $pid did not stop within ${grace}s; killing it" >&2
      # Its own children (the server's reloaded child, the worker's processes) go with it.
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
}

supervise() {  # wait until one process exits or a signal comes, then stop them all
  trap 'stop_all; exit 130' INT
  trap 'stop_all; exit 143' TERM
  trap stop_all EXIT
  local status=0
  wait -n "${pids[@]}" || status=$?
  stop_all
  return "$status"
}
