"""Each notice sent once: a rerun of a batch, a retried task or a worker killed mid-batch
neither doubles nor loses one (circulation.notices.outbox)."""

from collections import Counter
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from circulation.models import Loan, NoticeOutbox, NoticeSent
from circulation.notices import jobs
from circulation.notices import sending as notices
from circulation.notices.outbox import notice_key
from tests.factories import HoldFactory, PatronFactory
from tests.helpers import set_library_policy

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """The worker dies (SIGKILL does not run `except Exception` either)."""


def ids_per_address() -> dict[str, Counter]:
    seen: dict[str, Counter] = {}
    for message in mail.outbox:
        seen.setdefault(message.to[0], Counter())[message.extra_headers["Message-ID"]] += 1
    return seen


@pytest.fixture
def five_late(lend, now):
    patrons = [PatronFactory() for _ in range(5)]
    for patron in patrons:
        lend(patron, due_in_days=-3, now=now)
    return patrons


def test_a_rerun_of_the_batch_sends_nothing_twice(five_late, lend, now):
    set_library_policy(courtesy_notice_days=3)
    for _ in range(4):
        lend(PatronFactory(), due_in_days=3, now=now)
    assert notices.send_overdue_notices(now=now) == 5
    assert jobs.send_courtesy_notices(now=now) == 4
    mail.outbox.clear()

    assert notices.send_overdue_notices(now=now) == 0
    assert jobs.send_courtesy_notices(now=now) == 0  # sent again before the outbox
    assert mail.outbox == []


def test_a_worker_killed_after_the_mail_server_took_a_notice(five_late, now, settings):
    """Killed between the hand-off and the mark: the notice is sent again after the
    lease, with the same Message-ID; every other notice exactly once; none lost."""
    real_send = EmailMessage.send
    sent = []

    def send_then_die(message, *args, **kwargs):
        result = real_send(message, *args, **kwargs)
        sent.append(message)
        if len(sent) == 3:
            raise Killed
        return result

    with mock.patch.object(EmailMessage, "send", send_then_die), pytest.raises(Killed):
        notices.send_overdue_notices(now=now)
    assert len(mail.outbox) == 3

    # The next run at once: the dead worker's claim is still leased, the rest go.
    assert notices.send_overdue_notices(now=now) == 2
    # After the lease, the claimed one goes again, under the same Message-ID.
    settings.CALUMET_NOTICE_LEASE_SECONDS = 0
    assert notices.send_overdue_notices(now=now) == 1
    assert notices.send_overdue_notices(now=now) == 0

    seen = ids_per_address()
    assert sorted(seen) == sorted(patron.email for patron in five_late)  # none lost
    assert all(len(ids) == 1 for ids in seen.values()), "two different messages to one patron"
    assert sorted(sum(ids.values()) for ids in seen.values()) == [1, 1, 1, 1, 2]
    assert set(Loan.objects.values_list("overdue_notices_sent", flat=True)) == {1}
    assert NoticeSent.objects.filter(kind="overdue").count() == 5


def test_a_worker_killed_before_the_mail_server_took_a_notice(five_late, now, settings):
    real_send = EmailMessage.send
    calls = []

    def die_before_third(message, *args, **kwargs):
        calls.append(message)
        if len(calls) == 3:
            raise Killed
        return real_send(message, *args, **kwargs)

    with mock.patch.object(EmailMessage, "send", die_before_third), pytest.raises(Killed):
        notices.send_overdue_notices(now=now)
    settings.CALUMET_NOTICE_LEASE_SECONDS = 0
    assert notices.send_overdue_notices(now=now) == 3

    seen = ids_per_address()
    assert sorted(seen) == sorted(patron.email for patron in five_late)
    assert all(ids.total() == 1 for ids in seen.values())


def test_a_mail_server_refusal_releases_the_notice_for_the_next_run(five_late, now):
    refused = OSError("connection refused")
    with mock.patch.object(EmailMessage, "send", side_effect=refused), pytest.raises(OSError):
        notices.send_overdue_notices(now=now)
    assert not NoticeOutbox.objects.exists()
    assert notices.send_overdue_notices(now=now) == 5


def test_a_retried_hold_ready_task_leaves_a_notice_in_flight_to_its_first_attempt(now):
    hold = HoldFactory(waiting=True)
    # A task retried after the worker died between the send and the hold's mark.
    NoticeOutbox.objects.create(key=notice_key("hold_ready", hold.pk), claimed_at=now)
    assert notices.send_hold_ready_notice(hold.pk) == 0  # leased to the first attempt
    NoticeOutbox.objects.all().delete()
    assert notices.send_hold_ready_notice(hold.pk) == 1
    assert notices.send_hold_ready_notice(hold.pk) == 0
    assert len(mail.outbox) == 1


def test_the_sweep_sends_the_other_hold_notices_when_one_is_refused():
    refused, fine = HoldFactory(waiting=True), HoldFactory(waiting=True)
    real_send = EmailMessage.send

    def refuse_one(message, *args, **kwargs):
        if message.to == [refused.patron.email]:
            raise OSError("recipient refused")
        return real_send(message, *args, **kwargs)

    with mock.patch.object(EmailMessage, "send", refuse_one):
        assert notices.send_waiting_hold_notices() == 1
    assert [message.to for message in mail.outbox] == [[fine.patron.email]]
    assert notices.send_waiting_hold_notices() == 1  # the refused one, on the next sweep
    assert notices.send_waiting_hold_notices() == 0


def test_the_outbox_names_no_patron(five_late, now):
    notices.send_overdue_notices(now=now)
    text = " ".join(NoticeOutbox.objects.values_list("key", flat=True))
    for patron in five_late:
        assert str(patron.pk) not in text.split() and patron.email not in text
