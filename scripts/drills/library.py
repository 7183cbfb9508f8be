"""A small library for a drill, and one desk or kiosk action as a clerk makes it (scanned
again after the database was out of reach). Imported once Django is set up."""

from __future__ import annotations

import contextlib
import threading
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import close_old_connections, connection
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from circulation.models import Branch, Item, Loan, Title
from core.refusals import Refused
from patrons.models import Card, Patron
from staff.roles import CIRCULATION_STAFF, sync_roles


def small_library(patrons: int, items: int, *, on_loan: int = 0):
    """A branch, a clerk, patrons with cards and copies (some out on loan)."""
    sync_roles(strict=False)
    branch, _ = Branch.objects.get_or_create(code="DR", defaults={"name": "Drill branch"})
    clerk, _ = get_user_model().objects.get_or_create(username="drill-clerk", is_staff=True)
    clerk.groups.add(Group.objects.get(name=CIRCULATION_STAFF))
    title = Title.objects.create(title="Drill title")
    today = timezone.localdate()
    cards = []
    for n in range(patrons):
        patron = Patron.objects.create(
            first_name=f"Drill{n}",
            last_name="Patron",
            email=f"drill{n}@example.org",
            card_expires_on=today.replace(year=today.year + 1),
            birth_date=today.replace(year=1980),
        )
        cards.append(Card.objects.create(patron=patron, number=f"2999{n:010d}"))
    copies = [
        Item.objects.create(title=title, branch=branch, barcode=f"3999{n:010d}")
        for n in range(items)
    ]
    now = timezone.now()
    for n, item in enumerate(copies[:on_loan]):
        Loan.objects.create(
            item=item,
            patron=cards[n % len(cards)].patron,
            branch=branch,
            checked_out_at=now - timezone.timedelta(days=3),
            due_at=now + timezone.timedelta(days=11),
        )
        item.status = Item.Status.ON_LOAN
        item.save(update_fields=["status"])
    return branch, clerk, cards, copies


def attempt(operation, outcomes: list, lock: threading.Lock, label: str) -> None:
    """Run one desk or kiosk action as a request would (connections checked before),
    again after a refusal for an unavailable database, as a clerk scans again."""
    tries = []
    for _ in range(100):
        close_old_connections()
        try:
            operation()
        except (OperationalError, InterfaceError) as error:
            tries.append(f"unavailable ({type(error).__name__})")
            connection.close_if_unusable_or_obsolete()
            with contextlib.suppress(DatabaseError):
                connection.close()
            time.sleep(0.2)
            continue
        except Refused as refusal:
            tries.append(f"refused: {refusal}")
            break
        else:
            tries.append("done")
            break
    with lock:
        outcomes.append((label, tries))
