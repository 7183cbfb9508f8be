"""The worker killed (SIGKILL) while it sends a batch of overdue notices: after the next
run every patron has exactly one notice (one Message-ID), each loan counted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.utils import timezone

from circulation.models import Loan
from scripts.drills.library import small_library
from scripts.drills.servers import ROOT, say

CHILD_SEND = """
import sys, time
sys.path.insert(0, {root!r})
from scripts.drills.servers import django_setup
django_setup(email_dir=__import__('pathlib').Path({mail!r}))
from django.core.mail import EmailMessage
real = EmailMessage.send
def slow(self, *a, **k):
    done = real(self, *a, **k)
    time.sleep({pause})  # the mail server's answer takes a while: the worker dies in it
    return done
EmailMessage.send = slow
from circulation.notices.sending import send_overdue_notices
print(send_overdue_notices(), flush=True)
"""


def drill(scale: int, email_dir: Path) -> bool:
    patrons = 10 * scale
    small_library(patrons=patrons, items=patrons, on_loan=patrons)
    Loan.objects.update(due_at=timezone.now() - timezone.timedelta(days=3))
    code = CHILD_SEND.format(root=str(ROOT), mail=str(email_dir), pause=0.3)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while len(list(email_dir.glob("*.log"))) < patrons // 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    at_kill = len(list(email_dir.glob("*.log")))
    say(f"  worker SIGKILLed after {at_kill} of {patrons} notices were handed over")
    os.environ["CALUMET_NOTICE_LEASE_SECONDS"] = "0"  # the dead worker's claims expire
    rerun = subprocess.run(
        [sys.executable, "-c", code.replace("time.sleep(0.3)", "time.sleep(0)")],
        cwd=ROOT,
        env={**os.environ, "CALUMET_NOTICE_LEASE_SECONDS": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    say(f"  the next run sent {rerun.stdout.strip() or rerun.stderr.strip()[-300:]}")
    per_patron: dict[str, set] = {}
    copies_sent: dict[str, int] = {}
    for path in email_dir.glob("*.log"):
        for block in path.read_text().split("\n" + "-" * 79 + "\n"):
            to = next((line[4:] for line in block.splitlines() if line.startswith("To: ")), None)
            mid = next(
                (line[12:] for line in block.splitlines() if line.startswith("Message-ID: ")), None
            )
            if to:
                per_patron.setdefault(to, set()).add(mid)
                copies_sent[to] = copies_sent.get(to, 0) + 1
    lost = patrons - len(per_patron)
    doubled = sum(1 for ids in per_patron.values() if len(ids) > 1)
    resent = sum(1 for count in copies_sent.values() if count > 1)
    counts = set(Loan.objects.values_list("overdue_notices_sent", flat=True))
    say(
        f"  patrons notified: {len(per_patron)} of {patrons}; lost {lost}; two different "
        f"notices to one patron: {doubled}; the same notice (one Message-ID) handed over "
        f"twice: {resent}; each loan counted {sorted(counts)} notice(s)"
    )
    return lost == 0 and doubled == 0 and counts == {1}
