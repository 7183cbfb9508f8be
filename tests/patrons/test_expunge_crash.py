"""The expunge can be stopped at any moment: committed batches stay done, nothing is left
half-done, and a rerun finishes. And it leaves no side copy behind."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.models import Item, Loan, Title, Visit
from circulation.services import loan_return
from patrons.models import Card, Patron
from privacy import retention
from privacy.registry import RecordKind
from tests.factories import (
    DEFAULT_PIN,
    CardFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
    VisitFactory,
)

ROOT = Path(__file__).resolve().parents[2]


def closed_visits(count):
    patron = PatronFactory()
    when = timezone.now() - datetime.timedelta(days=2)
    return [VisitFactory(patron=patron, visited_at=when) for _ in range(count)]


@pytest.mark.django_db(transaction=True)
def test_an_exception_mid_run_leaves_committed_batches_done_and_a_rerun_finishes():
    visits = closed_visits(6)
    calls = {"n": 0}
    real = RecordKind.expunge_ids

    def failing(self, ids, now=None):
        done = real(self, ids, now)
        if self.name == "visit":
            calls["n"] += 1
            if calls["n"] == 2:  # after the second batch's deletes, before its commit
                raise RuntimeError("power cut")
        return done

    with mock.patch.object(RecordKind, "expunge_ids", failing), pytest.raises(RuntimeError):
        retention.expunge(batch_size=2)
    remaining = set(Visit.objects.values_list("pk", flat=True))
    assert len(remaining) == 4  # the first batch committed, the second rolled back whole
    gone = {v.pk for v in visits} - remaining
    for pk in gone:  # committed batches took their audit entries' content with them
        for entry in LogEntry.objects.filter(content_type__model="visit", object_pk=str(pk)):
            assert entry.additional_data.get("patron") is None
    retention.expunge(batch_size=2)
    assert not Visit.objects.exists()


@pytest.mark.postgres("kills a real `manage.py expunge` process")
@pytest.mark.django_db(transaction=True)
def test_a_killed_expunge_process_on_postgresql_leaves_a_consistent_database():
    patron = PatronFactory()
    when = timezone.now() - datetime.timedelta(days=2)
    Visit.objects.bulk_create(
        Visit(patron=patron, branch=ItemFactory().branch, visited_at=when) for _ in range(4000)
    )
    settings_dict = connection.settings_dict
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    url = f"postgres://{settings_dict['USER']}@{host}:{port}/{settings_dict['NAME']}"
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "calumet.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": url,
        "CALUMET_EXPUNGE_BATCH_SIZE": "5",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "expunge"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Visit.objects.count() > 3500:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    left = Visit.objects.count()
    assert 0 < left < 4000, "the process was not stopped half-way"
    assert left % 5 == 0  # whole batches only
    retention.expunge()
    assert Visit.objects.count() == 0


def text_columns():
    """Every text-like column of every table, as (table, column)."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model, field.attname


@pytest.mark.django_db(transaction=True)
def test_no_side_copy_links_the_patron_to_what_they_borrowed():
    patron = PatronFactory(first_name="Philomena", last_name="Quarrington", email="pq@example.org")
    card = CardFactory(patron=patron, number="21234999900042")
    item = ItemFactory(
        title=TitleFactory(title="Unmistakable Secret Title"), barcode="39999999990001"
    )
    now = timezone.now()
    loan = LoanFactory(
        patron=patron,
        item=item,
        checked_out_at=now - datetime.timedelta(days=10),
        due_at=now + datetime.timedelta(days=5),
    )
    # The patron uses the portal; staff open the loan; then the item comes back.
    client = Client()
    client.post(reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN})
    client.get(reverse("portal:account"))
    client.get(reverse("portal:my_data"), {"download": "1"})

    loan_return(barcode=item.barcode, actor=None)
    retention.expunge()
    assert not Loan.objects.filter(pk=loan.pk).exists()

    who = {card.number, "Philomena", "Quarrington", "pq@example.org"}
    what = {"Unmistakable Secret Title", item.barcode}

    skip = {Title, Item, Patron, Card}  # the catalog itself, and the live registration
    rows_with_both = []
    for model, column in text_columns():
        if model in skip:
            continue
        for value in model._default_manager.values_list(column, flat=True):
            text = str(value)
            if any(w in text for w in who) and any(m in text for m in what):
                rows_with_both.append((model.__name__, column))
    # Sessions and task results are side copies too: none may hold both.
    assert rows_with_both == []
