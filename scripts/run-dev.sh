#!/usr/bin/env bash
# Serve the site and run the django-q2 worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
PY="${PY:-.venv/bin/python}"

"$PY" manage.py qcluster &
worker=$!
stop() {
  trap - EXIT INT TERM
  kill -TERM "$worker" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
}
trap stop EXIT INT TERM

echo "Calumet is at http://127.0.0.1:${PORT}/  (staff: http://127.0.0.1:${PORT}/admin/)  Ctrl-C stops the site and the worker."
"$PY" manage.py runserver "127.0.0.1:${PORT}"
