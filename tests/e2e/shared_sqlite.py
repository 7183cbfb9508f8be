"""One SQLite connection shared by the test and the live server's threads, used one thread
at a time.

On SQLite the test database lives in memory, and Django's live server hands the test's
own connection to every request thread (`connections_override`). Python's `sqlite3`
module calls SQLite with the interpreter lock held to bind a statement's parameters and
to read a row's columns, and SQLite takes the connection's own lock for either. A thread
inside a query that calls back into Python (Django's SQL functions: date truncation,
REGEXP, ...) holds the connection's lock and waits for the interpreter lock; a second
thread binding its parameters holds the interpreter lock and waits for the connection's.
Neither ever moves, and no Python code of the process runs again: not a timeout, not a
signal handler. Two requests of one page (the page and a stylesheet, a form posted while
a fetch is in flight) were enough: a CI run hung an hour and a half on it.

`one_thread_at_a_time()` makes every statement and every fetch on SQLite cursors take one
lock, so that only one thread is inside SQLite at a time; the lock is waited for with the
interpreter lock released. The browser tests hold it for their session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db.backends.sqlite3.base import Database, SQLiteCursorWrapper

_ONE_AT_A_TIME = threading.RLock()

# The cursor's calls into SQLite: run a statement, read its rows.
_CALLS = ("execute", "executemany", "executescript", "fetchone", "fetchmany", "fetchall")


def _serialised(method):
    def call(self, *args, **kwargs):
        with _ONE_AT_A_TIME:
            return method(self, *args, **kwargs)

    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


@contextmanager
def one_thread_at_a_time() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in _CALLS:
            own = SQLiteCursorWrapper.__dict__.get(name) or getattr(Database.Cursor, name)
            patch.setattr(SQLiteCursorWrapper, name, _serialised(own))
        patch.setattr(SQLiteCursorWrapper, "__next__", _serialised(Database.Cursor.__next__))
        yield
