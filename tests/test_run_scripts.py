"""`make run` (scripts/run-dev.sh) stops the site and the worker within 10 seconds on Ctrl-C
or SIGTERM, even when one of them ignores SIGTERM. The two processes are stand-ins for
`manage.py runserver` and `manage.py qcluster` (the script takes its Python from $PY)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STAND_IN = """#!{python}
import os, signal, sys, time
command = sys.argv[2]  # manage.py COMMAND ...
if command == "qcluster":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a worker slow to stop
with open(os.path.join(os.environ["STAND_IN_DIR"], command), "w") as out:
    out.write(str(os.getpid()))
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def started(folder: Path, names, timeout=20) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all((folder / name).exists() and (folder / name).read_text() for name in names):
            return {name: int((folder / name).read_text()) for name in names}
        time.sleep(0.1)
    raise AssertionError("the site and the worker did not start")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_run_dev_stops_the_site_and_the_worker_within_10_seconds(tmp_path, sig):
    stand_in = tmp_path / "python"
    stand_in.write_text(STAND_IN.format(python=sys.executable))
    stand_in.chmod(0o755)
    env = {**os.environ, "PY": str(stand_in), "STAND_IN_DIR": str(tmp_path)}
    script = subprocess.Popen(
        ["bash", "scripts/run-dev.sh", "8999"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        pids = started(tmp_path, ["runserver", "qcluster"])
        sent = time.monotonic()
        script.send_signal(sig)
        script.wait(timeout=10)
        while any(alive(pid) for pid in pids.values()) and time.monotonic() - sent < 10:
            time.sleep(0.1)
        left = [name for name, pid in pids.items() if alive(pid)]
        assert not left, f"still running 10 s after {sig.name}: {left}"
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
        for name in ("runserver", "qcluster"):
            path = tmp_path / name
            if path.exists() and path.read_text() and alive(int(path.read_text())):
                os.kill(int(path.read_text()), signal.SIGKILL)
