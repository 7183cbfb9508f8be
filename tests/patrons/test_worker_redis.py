"""A real django-q2 cluster on the Redis broker runs the nightly expunge.

Everything runs in subprocesses against a database file of their own, as on a server:
`migrate`, demo data, a task queued on Redis, `manage.py qcluster`, and the expunge run it
leaves behind. Skipped, with the reason, when Redis is not reachable; under CI=true that skip
is a failure (tests/conftest.py), and .ci/run starts Redis."""

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def manage(env, *args, timeout=180) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_worker_runs_the_nightly_expunge_through_redis(tmp_path):
    if not redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (apt-get install redis-server)")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "calumet.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "CALUMET_REDIS_URL": "redis://127.0.0.1:6379/15",
        "CALUMET_Q_NAME": f"calumet-test-{uuid.uuid4().hex[:8]}",
        "CALUMET_WORKERS": "1",
    }
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "seed_demo")
    manage(
        env,
        "shell",
        "-c",
        "from django_q.tasks import async_task; async_task('privacy.tasks.nightly_expunge')",
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # One process polls the database until the worker's run has finished (90 s at most).
    probe = (
        "import time\n"
        "from privacy.models import ExpungeRun\n"
        "deadline = time.monotonic() + 90\n"
        "run = None\n"
        "while run is None and time.monotonic() < deadline:\n"
        "    time.sleep(0.5)\n"
        "    done = ExpungeRun.objects.filter(finished_at__isnull=False)\n"
        "    run = done.filter(trigger='nightly').first()\n"
        "print('RUN', run.counts['visit']['expunged'] if run else -1)\n"
    )
    try:
        out = manage(env, "shell", "-c", probe)
        expunged = int(out.split("RUN", 1)[1].split()[0])
        assert expunged > 0, "the worker did not run the expunge within 90 seconds"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    # The demo's old visits are gone; a second run finds nothing left to do.
    second = manage(env, "expunge", "--json")
    assert '"visit": {"anonymised": 0, "expunged": 0' in second
