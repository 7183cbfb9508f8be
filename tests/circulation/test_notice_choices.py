"""Courtesy and card-expiry notices from templates, the patron's choice in the portal, and
the log of notices sent (patron, day, kind, ok; no message) that the expunge deletes."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format

from circulation.models import NoticePreference, NoticeSent
from circulation.notices import jobs as notice_jobs
from patrons.models import Patron
from privacy import retention
from privacy.models import RetentionPolicy
from privacy.registry import registry
from tests.factories import ItemFactory, LoanFactory, TitleFactory
from tests.helpers import portal_signed_in as portal_client
from tests.helpers import set_library_policy, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(card):
    Patron.objects.filter(pk=card.patron_id).update(email="reader@example.org")
    card.patron.refresh_from_db()
    return card.patron


def lend_due_in(patron, branch, days, title="Moby-Dick"):
    due = timezone.localtime() + datetime.timedelta(days=days)
    return LoanFactory(
        patron=patron,
        item=ItemFactory(branch=branch, status="on_loan", title=TitleFactory(title=title)),
        checked_out_at=timezone.now() - datetime.timedelta(days=10),
        due_at=due.replace(hour=23, minute=59),
    )


def test_a_courtesy_notice_goes_n_days_before_due_and_is_logged(reader, branch, settings):
    set_library_policy(courtesy_notice_days=3)
    lend_due_in(reader, branch, 3)
    lend_due_in(reader, branch, 5)
    assert notice_jobs.send_courtesy_notices() == 1
    [message] = mail.outbox
    assert "1 item on your card is due on" in message.body and "Moby-Dick" not in message.body
    logged = NoticeSent.objects.get()
    assert (logged.patron, logged.kind, logged.ok) == (reader, "courtesy", True)
    assert timezone.localtime(logged.day).hour == 0


def test_a_patron_who_turned_courtesy_notices_off_gets_none(reader, branch):
    notice_jobs.notice_preferences_set(
        patron=reader, courtesy=False, card_expiry=True, actor=reader
    )
    lend_due_in(reader, branch, 3)
    assert notice_jobs.send_courtesy_notices() == 0 and not mail.outbox


def test_a_card_expiry_notice(reader, settings):
    set_library_policy(card_expiry_notice_days=30)
    Patron.objects.filter(pk=reader.pk).update(
        card_expires_on=timezone.localdate() + datetime.timedelta(days=30)
    )
    assert notice_jobs.send_card_expiry_notices() == 1
    assert "Your library card expires on" in mail.outbox[0].body
    assert NoticeSent.objects.get().kind == "card_expiry"


def test_a_failed_notice_is_logged_as_failed(reader, branch, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    lend_due_in(reader, branch, 3)
    assert notice_jobs.send_courtesy_notices() == 0
    assert NoticeSent.objects.get().ok is False


def test_the_portal_saves_the_choice(reader):
    client = portal_client(reader.active_card)
    assert b"Items due soon" in client.get("/portal/notices/").content
    client.post("/portal/notices/", {"card_expiry": "on"})
    choice = NoticePreference.objects.get(patron=reader)
    assert (choice.courtesy, choice.card_expiry) == (False, True)


def test_the_notices_page_states_the_retention_period_in_force(reader):
    """The page says how long the note that a notice went out is kept: the days of the
    retention policy the expunge applies (the privacy page's row), in both languages."""
    client = portal_client(reader.active_card)
    page = client.get("/portal/notices/").content.decode()
    assert "until the next night" not in page
    assert "for 30 days after the day it was sent" in page
    assert 'href="/privacy/#retention-notice_sent"' in page
    # The first sign-in kept the portal's language (English) as the patron's: switch it.
    client.post("/language/", {"language": "es", "next": "/portal/notices/"})
    spanish = client.get("/portal/notices/").content.decode()
    assert "durante 30 días" in spanish and "noche siguiente" not in spanish
    client.post("/language/", {"language": "en", "next": "/portal/notices/"})

    RetentionPolicy.objects.filter(kind="notice_sent").update(days=7)
    assert "for 7 days after the day" in client.get("/portal/notices/").content.decode()
    RetentionPolicy.objects.filter(kind="notice_sent").update(days=0)
    assert "until the next nightly run" in client.get("/portal/notices/").content.decode()


def test_staff_see_the_log_and_it_is_a_record_kind_the_expunge_deletes(reader, librarian):
    now = timezone.now()
    for days_ago in (2, 31):
        notice_jobs.notice_record(
            patron_id=reader.pk,
            kind="courtesy",
            ok=True,
            actor=None,
            now=now - datetime.timedelta(days=days_ago),
        )
    page = signed_in(librarian).get("/admin/circulation/noticesent/")
    assert page.status_code == 200 and b"Items due soon" in page.content
    assert registry.get("notice_sent").model is NoticeSent

    # Its own rule, named for staff: kept 30 days after the day it was sent, then deleted.
    policy = RetentionPolicy.objects.get(kind="notice_sent")
    assert policy.days == 30
    assert "Notices sent" in str(policy)
    retention.expunge(now=now)
    kept = NoticeSent.objects.get()
    assert kept.day > now - datetime.timedelta(days=3)
    policy.days = 0
    policy.save()
    retention.expunge(now=now)
    assert not NoticeSent.objects.exists()


def test_the_notices_sent_pages_read_like_a_librarys(reader, librarian, settings):
    """The kind and the day name a row (no patron: the audit log keeps that name); the
    list shows the patron by the card's last four digits, the day as a date and whether
    the notice went out as Sent or Failed."""
    now = timezone.now()
    notice_jobs.notice_record(patron_id=reader.pk, kind="courtesy", ok=True, actor=None, now=now)
    notice_jobs.notice_record(patron_id=reader.pk, kind="overdue", ok=False, actor=None, now=now)
    sent = NoticeSent.objects.get(kind="courtesy")
    day = date_format(timezone.localdate(now), "DATE_FORMAT")
    assert str(sent) == f"Items due soon, {day}"

    entries = LogEntry.objects.filter(object_pk=str(sent.pk), content_type__model="noticesent")
    assert [entry.object_repr for entry in entries] == [f"Items due soon, {day}"]
    for entry in entries:
        text = f"{entry.object_repr} {entry.changes} {entry.changes_text}"
        assert reader.last_name not in text and reader.active_card.number not in text

    client = signed_in(librarian)
    page = client.get("/admin/circulation/noticesent/").content.decode()
    assert "Notice sent #" not in page and "Patron #" not in page and "midnight" not in page
    for header in ("Notice", "Patron", "Day", "Result"):
        assert f">{header}</a>" in page or f">{header}</span>" in page, header
    assert f'/admin/patrons/patron/{reader.pk}/change/">card …0001</a>' in page
    assert f'<td class="field-sent_on">{day}</td>' in page
    assert '<td class="field-result">Sent</td>' in page
    assert '<td class="field-result">Failed</td>' in page
    assert reader.last_name not in page
    failed = client.get("/admin/circulation/noticesent/?result=failed").content.decode()
    assert failed.count('<td class="field-result">') == 1 and ">Failed</td>" in failed

    detail = client.get(f"/admin/circulation/noticesent/{sent.pk}/change/").content.decode()
    assert f"Items due soon, {day}" in detail and "Sent" in detail
    assert ">Ok<" not in detail and "Ok:" not in detail and "card …0001" in detail


def test_the_patrons_page_is_titled_by_card_not_by_number_or_name(reader, librarian):
    client = signed_in(librarian)
    page = client.get(f"/admin/patrons/patron/{reader.pk}/change/").content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Card …0001 | ")
    assert reader.last_name not in title and reader.first_name not in title
    assert "Patron #" not in page
    assert reader.full_name in page  # the summary names the patron
    history = client.get(f"/admin/patrons/patron/{reader.pk}/history/").content.decode()
    assert "Change history: Card …0001" in history and "Patron #" not in history
