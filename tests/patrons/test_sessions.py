"""privacy.sessions: the expunge removes from every stored session the state that mentions
a patron, card or item it touched, and touches no other session."""

import datetime
import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patrons.portal import SESSION_PATRON
from privacy import sessions
from staff.roles import CIRCULATION_STAFF
from tests.factories import (
    DEFAULT_PIN,
    BranchFactory,
    CardFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)
from tests.helpers import make_staff, signed_in

pytestmark = pytest.mark.django_db


def stored(data: dict) -> str:
    """A session row holding `data`, as a request would have saved it. Returns its key."""
    store = SessionStore()
    store.update(data)
    store.create()
    return store.session_key


def row(key: str) -> Session:
    return Session.objects.get(session_key=key)


def decoded(key: str) -> dict:
    return row(key).get_decoded()


def ns(**refs) -> dict:
    return sessions.namespace({"lines": [{"ok": True, "text": "due Mon"}]}, refs=refs)


# -- the shape ----------------------------------------------------------------------------------


def test_refs_are_sorted_distinct_ids_per_kind_and_empty_kinds_are_left_out():
    assert sessions.refs(patron=[3, 1, 3, None], card=[], item=["7"]) == {
        "patron": [1, 3],
        "item": [7],
    }


def test_a_namespace_is_stale_only_after_its_until():
    now = timezone.now()
    value = sessions.namespace({}, refs={}, until=now)
    assert sessions.is_stale(value, now=now)
    assert not sessions.is_stale(value, now=now - datetime.timedelta(seconds=1))
    assert not sessions.is_stale(sessions.namespace({}, refs={}), now=now)


# -- scrub_sessions -------------------------------------------------------------------------------


def test_scrub_removes_each_namespace_that_names_an_id_and_nothing_else():
    mentioning = stored(
        {
            "_auth_user_id": "1",
            "calumet_desk": {"branch_id": 4},  # not a namespace: no refs
            "calumet_desk.checkout": ns(patron=[11], card=[21], item=[31, 32]),
            "calumet_desk.checkin": ns(item=[99]),
        }
    )
    by_card = stored({"a": ns(card=[21])})
    by_item = stored({"b": ns(item=[32]), "c": ns(item=[33])})
    unrelated = stored({"_auth_user_id": "2", "d": ns(patron=[12], card=[22], item=[33])})
    before = {key: row(key) for key in (mentioning, by_card, by_item, unrelated)}

    changed = sessions.scrub_sessions(patron_ids=[11], card_ids=[21], item_ids=[32])

    assert changed == 3
    assert decoded(mentioning) == {
        "_auth_user_id": "1",
        "calumet_desk": {"branch_id": 4},
        "calumet_desk.checkin": ns(item=[99]),
    }
    assert decoded(by_card) == {}
    assert decoded(by_item) == {"c": ns(item=[33])}
    # The untouched session is not rewritten; no session's expiry moves.
    assert row(unrelated).session_data == before[unrelated].session_data
    for key, old in before.items():
        assert row(key).expire_date == old.expire_date


@pytest.mark.parametrize(
    "ids", [{"patron_ids": [11]}, {"card_ids": [21]}, {"item_ids": [31]}], ids=str
)
def test_any_one_kind_of_id_is_enough(ids):
    key = stored({"x": ns(patron=[11], card=[21], item=[31])})
    assert sessions.scrub_sessions(**ids) == 1
    assert "x" not in decoded(key)


def test_ids_of_one_kind_do_not_match_another_kind():
    key = stored({"x": ns(patron=[11], card=[21], item=[31])})
    assert sessions.scrub_sessions(patron_ids=[21, 31], card_ids=[11, 31], item_ids=[11]) == 0
    assert "x" in decoded(key)


def test_no_ids_touches_nothing():
    key = stored({"x": ns(patron=[11])})
    data = row(key).session_data
    assert sessions.scrub_sessions() == 0
    assert row(key).session_data == data


def test_the_portal_session_of_a_named_patron_is_deleted():
    card = CardFactory()
    other = CardFactory()
    portal = Client()
    response = portal.post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 302
    signed_in_key = portal.session.session_key
    assert decoded(signed_in_key)[SESSION_PATRON] == card.patron_id
    someone_else = stored({SESSION_PATRON: other.patron_id})

    assert sessions.scrub_sessions(patron_ids=[card.patron_id]) == 1

    assert not Session.objects.filter(session_key=signed_in_key).exists()
    assert decoded(someone_else) == {SESSION_PATRON: other.patron_id}
    # The patron is signed out: the portal asks for the card again.
    response = portal.get(reverse("portal:account"))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_a_session_the_site_cannot_read_is_deleted():
    key = stored({"x": ns(patron=[11])})
    Session.objects.filter(session_key=key).update(session_data="not-signed-by-this-site")
    readable = stored({"y": ns(patron=[12])})
    assert sessions.scrub_sessions(patron_ids=[11]) == 1
    assert not Session.objects.filter(session_key=key).exists()
    assert "y" in decoded(readable)


# -- scrub_stale_sessions -------------------------------------------------------------------


def test_stale_namespaces_are_removed_from_sessions_nobody_reads():
    now = timezone.now()
    past = sessions.namespace({}, refs={"patron": [1]}, until=now - datetime.timedelta(minutes=1))
    live = sessions.namespace({}, refs={"patron": [2]}, until=now + datetime.timedelta(minutes=9))
    stale_key = stored({"_auth_user_id": "1", "old": past, "new": live})
    live_key = stored({"new": live, "forever": ns(patron=[3])})
    data = row(live_key).session_data

    assert sessions.scrub_stale_sessions(now=now) == 1

    assert decoded(stale_key) == {"_auth_user_id": "1", "new": live}
    assert row(live_key).session_data == data


# -- a real staff session, made through the desk pages --------------------------------------


def test_a_clerks_desk_session_no_longer_mentions_an_expunged_patron(db):
    """The expunge's call: after it, no stored session names the patron's id, card id,
    card number or the barcodes of the items the desk handled for them."""
    branch = BranchFactory(code="main", name="Central Library")
    patron = PatronFactory(pk=48151623, home_branch=branch)
    card = CardFactory(pk=42424242, patron=patron, number="21234987650001")
    items = [
        ItemFactory(pk=31337001 + n, branch=branch, barcode=f"3999888777{n:04d}") for n in range(3)
    ]
    borrowed = LoanFactory(
        item=ItemFactory(pk=31337101, branch=branch, barcode="39998887770101", status="on_loan"),
        patron=patron,
    )
    returned = LoanFactory(
        item=ItemFactory(pk=31337201, branch=branch, barcode="39998887770201", status="on_loan"),
        patron=patron,
    )
    HoldFactory(title=TitleFactory(), patron=patron, pickup_branch=branch)
    FineFactory(patron=patron)
    clerk = make_staff("clerk", CIRCULATION_STAFF)
    desk = signed_in(clerk)
    bystander = signed_in(make_staff("other-clerk", CIRCULATION_STAFF))
    bystander.post(reverse("admin:circulation_checkout"), {"action": "branch", "branch": branch.pk})
    bystander_data = row(bystander.session.session_key).session_data

    def post(page, data):
        response = desk.post(reverse(f"admin:circulation_{page}"), data)
        assert response.status_code == 302

    post("checkout", {"action": "branch", "branch": branch.pk})
    post("checkout", {"action": "card", "card_number": card.number})
    for item in items:
        post("checkout", {"action": "item", "barcode": item.barcode})
    post("renew", {"action": "item", "barcode": borrowed.item.barcode})
    post("checkin", {"action": "item", "barcode": returned.item.barcode})
    post("payment", {"action": "card", "card_number": card.number})
    for page in ("checkout", "renew", "checkin", "payment"):
        assert desk.get(reverse(f"admin:circulation_{page}")).status_code == 200

    secrets = [
        str(patron.pk),
        str(card.pk),
        card.number,
        *(str(item.pk) for item in items),
        *(item.barcode for item in items),
        borrowed.item.barcode,
        returned.item.barcode,
    ]
    everything = json.dumps([s.get_decoded() for s in Session.objects.all()])
    found = {secret for secret in secrets if secret in everything}
    assert {str(patron.pk), str(card.pk), *(str(item.pk) for item in items)} <= found

    changed = sessions.scrub_sessions(
        patron_ids=[patron.pk],
        card_ids=[card.pk],
        item_ids=[item.pk for item in items] + [borrowed.item_id, returned.item_id],
    )

    assert changed == 1  # the clerk's session, and not the bystander's
    everything = json.dumps([s.get_decoded() for s in Session.objects.all()])
    for secret in secrets:
        assert secret not in everything, secret
    assert row(bystander.session.session_key).session_data == bystander_data
    # The clerk is still signed in, still working at the same branch, serving no one.
    page = desk.get(reverse("admin:circulation_checkout"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Scan the patron&#x27;s card" in html or "Scan the patron's card" in html
    assert patron.last_name not in html and card.masked_number not in html
    assert desk.session["calumet_desk"]["branch_id"] == branch.pk
