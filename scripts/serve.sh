#!/usr/bin/env bash
# The production stack on this machine: gunicorn and the django-q2 worker, against the
# configured database (DATABASE_URL) and broker. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
GUNICORN="${GUNICORN:-.venv/bin/gunicorn}"

"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py migrate --no-input
"$PY" manage.py collectstatic --no-input --verbosity 0

"$PY" manage.py qcluster &
worker=$!
stop() {
  trap - EXIT INT TERM
  kill -TERM "$worker" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
}
trap stop EXIT INT TERM
"$GUNICORN" calumet.wsgi:application -c deploy/gunicorn.conf.py
