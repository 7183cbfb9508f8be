"""Overdue notices (weekly, at most three, without titles) and what the worker's tasks are given."""

import datetime

import pytest
from django.core import mail

from circulation import services, tasks
from circulation.models import Item
from circulation.notices.sending import send_overdue_notices
from tests.factories import (
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db


def test_overdue_notices_weekly_at_most_three_and_without_titles(settings, now):
    patron = PatronFactory(email="reader@example.org")
    for _ in range(2):
        LoanFactory(
            patron=patron,
            item=ItemFactory(title=TitleFactory(title="Secret Overdue Book")),
            checked_out_at=now - datetime.timedelta(days=30),
            due_at=now - datetime.timedelta(days=3),
        )
    LoanFactory(
        patron=PatronFactory(email=""),
        checked_out_at=now - datetime.timedelta(days=30),
        due_at=now - datetime.timedelta(days=3),
    )
    assert tasks.send_overdue_notices() == 1
    assert len(mail.outbox) == 1 and "2 items" in mail.outbox[0].body
    assert "Secret Overdue Book" not in mail.outbox[0].body
    assert tasks.send_overdue_notices() == 0  # not again within a week
    for week in range(1, 5):
        send_overdue_notices(now=now + datetime.timedelta(days=8 * week))
    assert len(mail.outbox) == 3  # at most three per loan
    settings.CALUMET_NOTICES_INCLUDE_TITLES = True
    LoanFactory(
        patron=patron,
        item=ItemFactory(title=TitleFactory(title="Shown If Asked")),
        checked_out_at=now - datetime.timedelta(days=30),
        due_at=now - datetime.timedelta(days=3),
    )
    send_overdue_notices(now=now + datetime.timedelta(days=60))
    assert "Shown If Asked" in mail.outbox[-1].body


def test_task_arguments_are_ids_only(monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: calls.append(args))
    title = TitleFactory()
    loan = LoanFactory(item=ItemFactory(title=title, status=Item.Status.ON_LOAN))
    HoldFactory(title=title, pickup_branch=loan.item.branch)
    with django_capture_on_commit_callbacks(execute=True):
        services.loan_return(barcode=loan.item.barcode, actor=None, branch=loan.item.branch)
    assert calls and all(isinstance(arg, int) for call in calls for arg in call[1:])
