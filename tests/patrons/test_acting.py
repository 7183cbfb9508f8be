"""Services name their actor in the audit log, even where no request does (a task, a
command, the SIP2 server), and give the caller's context back afterwards."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry

from circulation import services
from privacy.acting import acting_as, service
from tests.factories import PatronFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def _last_change(patron):
    return LogEntry.objects.filter(object_pk=str(patron.pk), action=LogEntry.Action.UPDATE).latest(
        "pk"
    )


def test_a_service_outside_a_request_is_audited_as_its_actor():
    clerk = StaffUserFactory(username="nightclerk")
    patron = PatronFactory()

    @service
    def rename(*, patron, actor):
        patron.first_name = "Renamed"
        patron.save()

    rename(patron=patron, actor=clerk)
    assert _last_change(patron).actor == clerk


def test_a_patron_or_the_system_as_actor_names_nobody():
    patron = PatronFactory()
    with acting_as(patron):
        patron.first_name = "Self"
        patron.save()
    assert _last_change(patron).actor is None


def test_the_callers_actor_is_back_after_a_service_for_someone_else():
    outer, inner = StaffUserFactory(username="outer"), StaffUserFactory(username="inner")
    patron = PatronFactory()
    with set_actor(outer):
        with acting_as(inner):
            patron.first_name = "Inner"
            patron.save()
        assert _last_change(patron).actor == inner
        patron.first_name = "Outer"
        patron.save()
        assert _last_change(patron).actor == outer


def test_a_call_that_does_not_name_its_actor_is_refused_and_changes_nothing():
    patron = PatronFactory(first_name="Before")

    @service
    def rename(*, patron, actor):
        patron.first_name = "After"
        patron.save()

    with pytest.raises(TypeError, match=r"rename\(\) needs actor="):
        rename(patron=patron)
    patron.refresh_from_db()
    assert patron.first_name == "Before"
    rename(patron=patron, actor=None)  # the system, said so
    patron.refresh_from_db()
    assert patron.first_name == "After"


def test_a_service_whose_actor_may_be_positional_is_refused_when_decorated():
    with pytest.raises(TypeError, match="keyword-only"):

        @service
        def role_of(actor):
            return actor

    with pytest.raises(TypeError, match="keyword-only"):

        @service
        def no_actor(*, patron):
            return patron


def test_a_default_actor_does_not_excuse_a_call_without_one():
    with pytest.raises(TypeError, match="needs actor="):
        services.hold_expire_unclaimed()
