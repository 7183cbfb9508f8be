"""The browser tests' live server shares the test's SQLite connection between threads; with
`one_thread_at_a_time` (tests/e2e/shared_sqlite.py) two threads using it at once finish.

Without it they can freeze the whole process (each holding the lock the other waits for),
so the threads run in a child process, given a minute: a freeze fails this test instead of
holding the run."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TWO_THREADS = textwrap.dedent(
    """
    import threading

    import django

    django.setup()
    from django.db.utils import ConnectionHandler

    from tests.e2e.shared_sqlite import one_thread_at_a_time

    shared = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )["default"]
    shared.inc_thread_sharing()  # as Django's live server shares it with its threads
    with shared.cursor() as cursor:
        cursor.execute("CREATE TABLE t (d TEXT)")
        cursor.executemany("INSERT INTO t VALUES (%s)", [["2026-12-06"]] * 2000)

    def in_python(rounds):
        # Django's SQL function, in Python: SQLite calls back into the interpreter per row.
        for _ in range(rounds):
            with shared.cursor() as cursor:
                cursor.execute("SELECT django_date_trunc('month', d, NULL, NULL) FROM t")
                cursor.fetchall()

    def with_parameters(rounds):
        for _ in range(rounds):
            with shared.cursor() as cursor:
                cursor.execute("SELECT %s, %s, %s", ["a", "b", "c"])
                cursor.fetchone()

    with one_thread_at_a_time():
        threads = [
            threading.Thread(target=in_python, args=(50,)),
            threading.Thread(target=with_parameters, args=(30_000,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print("both finished")
    """
)


def test_two_threads_on_the_shared_sqlite_connection_both_finish():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "calumet.settings_test"}
    done = subprocess.run(
        [sys.executable, "-c", TWO_THREADS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "both finished"
