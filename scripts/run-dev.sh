#!/usr/bin/env bash
# Serve the site (runserver) and run the django-q2 worker together for development.
# Ctrl-C or SIGTERM stops both within 10 seconds; so does either one exiting.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
PY="${PY:-.venv/bin/python}"
. scripts/together.sh

echo "Calumet is at http://127.0.0.1:${PORT}/  (staff: http://127.0.0.1:${PORT}/admin/)  Ctrl-C stops the site and the worker."
start "$PY" manage.py qcluster
start "$PY" manage.py runserver "127.0.0.1:${PORT}"
supervise
