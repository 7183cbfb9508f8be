"""Redis stopped: the desk and the portal keep working, and the hold-ready notice that
could not be queued while it was down is sent once it is back (the sweep)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.test import Client
from django.utils import timezone
from django_q.tasks import async_task

from circulation import services
from circulation.models import Hold
from scripts.drills.library import small_library
from scripts.drills.servers import ROOT, PrivateRedis, say


def drill(scale: int, redis: PrivateRedis, email_dir: Path) -> bool:
    branch, clerk, cards, copies = small_library(patrons=3, items=2, on_loan=1)
    item = copies[0]
    waiting_for = cards[1].patron
    hold = Hold.objects.create(
        title=item.title,
        patron=waiting_for,
        pickup_branch=branch,
        placed_at=timezone.now(),
        status=Hold.Status.PLACED,
    )
    redis.stop()
    say("  Redis stopped")
    result = services.loan_return(barcode=item.barcode, actor=clerk, branch=branch)
    hold.refresh_from_db()
    say(f"  desk check-in with Redis down: loan closed={bool(result.loan)}, hold now {hold.status}")
    portal = Client()
    page = portal.get("/portal/login/", HTTP_HOST="localhost")
    say(f"  portal sign-in page with Redis down: HTTP {page.status_code}")
    sent_before = len(list(email_dir.glob("*.log")))
    redis.start()
    say("  Redis started again; the worker (qcluster) runs for a few seconds")
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        env={**os.environ, "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        cwd=ROOT,
        stdout=open(email_dir.parent / "worker.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        # What the sweep's schedule does every 10 minutes, now: through Redis to the worker.
        queued = async_task("circulation.tasks.send_waiting_hold_notices")
        deadline = time.monotonic() + 20 * scale
        while time.monotonic() < deadline:
            hold.refresh_from_db()
            if hold.notified_at:
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    hold.refresh_from_db()
    if not hold.notified_at:
        say((email_dir.parent / "worker.log").read_text()[-3000:])
    say(
        f"  notices queued again when Redis returned: {queued}; "
        f"hold-ready notice sent: {bool(hold.notified_at)}"
    )
    return (
        bool(result.loan)
        and hold.status == Hold.Status.WAITING
        and page.status_code == 200
        and bool(hold.notified_at)
        and sent_before == 0
    )
