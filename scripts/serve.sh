#!/usr/bin/env bash
# The production stack on this machine: gunicorn and the django-q2 worker, against the
# configured database (DATABASE_URL) and broker. Ctrl-C or SIGTERM stops both (each gets
# STOP_GRACE seconds, default 35, so gunicorn's 30-second graceful timeout can finish the
# requests in flight); so does either one exiting.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
GUNICORN="${GUNICORN:-.venv/bin/gunicorn}"

"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py migrate --no-input
"$PY" manage.py collectstatic --no-input --verbosity 0

STOP_GRACE="${STOP_GRACE:-35}"
. scripts/together.sh
start "$PY" manage.py qcluster
start "$GUNICORN" calumet.wsgi:application -c deploy/gunicorn.conf.py
supervise
