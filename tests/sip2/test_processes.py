"""`manage.py sip2server --processes 2`: server processes sharing one port, as run in a
subprocess (the forks must not share the test database, so this server has an empty
database of its own: every login is answered, and refused). Kiosks stay connected all
day, so the connections must be spread over the processes, not taken by one."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(n) for n in path.read_text().split()}


def _login(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"9300CNnobody|COwrong|\r")
        answer = b""
        while not answer.endswith(b"\r"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


def _connections_of(pid: int, port: int, state: str = "01") -> int:
    """Sockets on `port` held by process `pid` (from /proc) in a TCP state: established
    connections ("01"), or listening ("0A")."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):
            target = os.readlink(fd)
            held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


def _serving(server: subprocess.Popen, port: int, deadline: float) -> set[int]:
    """The two server processes, once both listen on the port (each with its socket)."""
    while time.monotonic() < deadline:
        children = _children(server.pid)
        if len(children) == 2 and all(_connections_of(pid, port, "0A") for pid in children):
            return children
        time.sleep(0.1)
    return _children(server.pid)


def _signs_in(sock: socket.socket) -> None:
    sock.sendall(b"9300CNnobody|COwrong|\r")
    answer = b""
    while not answer.endswith(b"\r"):
        answer += sock.recv(4096)
    assert answer.startswith(b"940")


def test_processes_share_the_port_are_started_again_and_stop_together(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "CALUMET_LOG_LEVEL": "CRITICAL",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "sip2server", "--port", "0", "--processes", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+) \(plain TCP, 2 processes\)", line).group(1))
        deadline = time.monotonic() + 60
        first = _serving(server, port, deadline)
        assert len(first) == 2
        assert all(_login(port).startswith(b"940") for _ in range(4))

        # 32 kiosks connect at once (as after a power cut) and stay: each process serves
        # a fair share of them. The kernel spreads connections at random over the
        # processes' own sockets (fewer than 4 of 32 in one has a chance of about 3 in a
        # million); with one socket shared, one process accepted all that were waiting.
        kiosks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(32)]
        try:
            for kiosk in kiosks:
                _signs_in(kiosk)
            shares = sorted(_connections_of(pid, port) for pid in first)
            assert sum(shares) == 32 and shares[0] >= 4, shares
        finally:
            for kiosk in kiosks:
                kiosk.close()

        os.kill(min(first), signal.SIGKILL)  # one dies: another takes its place
        while _children(server.pid) >= first and time.monotonic() < deadline:
            time.sleep(0.1)  # (until the dead one is gone)
        second = _serving(server, port, deadline)
        assert len(second) == 2 and min(first) not in second
        assert _login(port).startswith(b"940")

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert "SIP2 server stopped." in server.stdout.read()
        assert not any(Path(f"/proc/{pid}").exists() for pid in second)
    finally:
        if server.poll() is None:  # a failed test: no server process may outlive it
            for pid in _children(server.pid):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            server.kill()
            server.wait()
