#!/usr/bin/env bash
# Serve the site (runserver), the django-q2 worker and the SIP2 server (plain TCP on
# 127.0.0.1 only, for trying a self-check client) together for development.
# Ctrl-C or SIGTERM stops both within 10 seconds; so does either one exiting.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
PY="${PY:-.venv/bin/python}"
. scripts/together.sh

echo "Calumet is at http://127.0.0.1:${PORT}/  (staff: http://127.0.0.1:${PORT}/admin/)  SIP2 on 127.0.0.1:${CALUMET_SIP2_PORT:-6001}. Ctrl-C stops them all."
start "$PY" manage.py qcluster
start "$PY" manage.py sip2server
start "$PY" manage.py runserver "127.0.0.1:${PORT}"
supervise
