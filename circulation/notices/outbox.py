"""Each notice sent once, whatever happens to the worker.

`send_once` claims the notice in the outbox (`NoticeOutbox`) and commits, hands the email
to the mail server with a Message-ID made from the notice's key, then marks it sent in the
same transaction as the records the notice changes (the hold's `notified_at`, the loans'
overdue counts, the notice log). So:

- a notice already marked sent is never sent again (a rerun of the batch, a retried task);
- a notice claimed by a worker less than `CALUMET_NOTICE_LEASE_SECONDS` ago is left to
  it (two workers never send one notice at once);
- a worker killed between its claim and its mark leaves the claim: after the lease the
  next run sends the notice again, with the same Message-ID, so the one mail server the
  first attempt may have reached, and the patron's mail client, treat it as the same
  message. The window is the mail server's answer time; the drill (`make drills`) kills a
  worker inside it and counts the messages per Message-ID.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from circulation.models import NoticeOutbox

KEEP = datetime.timedelta(days=2)


def notice_key(*parts) -> str:
    text = "|".join(str(part) for part in parts)
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL
    return address.rsplit("@", 1)[-1].strip("> ") if "@" in address else "calumet.invalid"


def message_id(key: str) -> str:
    return f"<{key[:40]}@{_domain()}>"


def _claim(key: str) -> bool:
    now = timezone.now()
    lease = datetime.timedelta(seconds=settings.CALUMET_NOTICE_LEASE_SECONDS)
    with transaction.atomic():
        row = NoticeOutbox.objects.select_for_update().filter(key=key).first()
        if row is None:
            NoticeOutbox.objects.create(key=key, claimed_at=now)
            return True
        if row.sent_at is not None or row.claimed_at > now - lease:
            return False
        row.claimed_at = now
        row.attempts += 1
        row.save(update_fields=["claimed_at", "attempts"])
        return True


def send_once(
    *, key: str, subject: str, body: str, to: str, record: Callable[[], None] | None = None
) -> bool:
    """Send one notice unless it was sent (or is being sent); `record` runs in the
    transaction that marks it sent. Returns whether it was handed to the mail server.
    A mail server's refusal releases the claim and raises."""
    if not _claim(key):
        return False
    message = EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers={"Message-ID": message_id(key)}
    )
    try:
        message.send()
    except Exception:
        NoticeOutbox.objects.filter(key=key, sent_at__isnull=True).delete()
        raise
    with transaction.atomic():
        NoticeOutbox.objects.filter(key=key).update(sent_at=timezone.now())
        if record is not None:
            record()
    return True


def prune(now: datetime.datetime | None = None) -> int:
    """Rows older than two days: no rerun or retry reaches back that far."""
    now = now or timezone.now()
    return NoticeOutbox.objects.filter(claimed_at__lt=now - KEEP).delete()[0]
