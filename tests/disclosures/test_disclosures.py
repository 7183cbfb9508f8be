"""Disclosure requests through the admin, as the clerk, the librarian and the director
would do them (issue: disclosures)."""

import datetime
import hashlib
import json
import os
from io import StringIO
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from circulation.models import Loan, Visit
from disclosures.models import DisclosureRequest
from disclosures.notices import send_disclosure_notices
from privacy import retention
from privacy.models import LegalHold
from staff.roles import LIBRARY_ADMINISTRATOR
from tests.factories import (
    DEFAULT_PIN,
    CardFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
    VisitFactory,
)
from tests.helpers import make_staff

pytestmark = pytest.mark.django_db
ADD = "/admin/disclosures/disclosurerequest/add/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def second_director():
    return make_staff("deputy", LIBRARY_ADMINISTRATOR)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def patron():
    patron = PatronFactory(first_name="Imogen", last_name="Marsh", email="imogen@example.org")
    CardFactory(patron=patron, number="21234555500001")
    # A current loan; the `records` fixture adds closed records.
    LoanFactory(
        patron=patron, item=ItemFactory(title=TitleFactory(title="The Anarchist Cookbook Review"))
    )
    return patron


@pytest.fixture
def records(patron, now):
    returned = LoanFactory(
        patron=patron,
        item=ItemFactory(title=TitleFactory(title="On Civil Disobedience")),
        checked_out_at=now - datetime.timedelta(days=20),
        due_at=now - datetime.timedelta(days=1),
        returned_at=now - datetime.timedelta(days=2),
    )
    visit = VisitFactory(patron=patron, visited_at=now - datetime.timedelta(days=3))
    other = PatronFactory()
    CardFactory(patron=other, number="21234555500002")
    LoanFactory(patron=other, item=ItemFactory(title=TitleFactory(title="Someone Else's Book")))
    return {"returned": returned, "visit": visit, "other": other}


def subpoena(card="21234555500001", kinds=("loan",), document=True, **extra):
    data = {
        "agency": "County Sheriff's Office",
        "requester_name": "Det. R. Halloran",
        "requester_id_number": "4471",
        "legal_basis": "subpoena",
        "non_disclosure_order": "no",
        "issuing_authority": "Circuit Court of Cook County",
        "case_number": "2026-CR-0042",
        "card_numbers": card,
        "kinds": list(kinds),
        **extra,
    }
    if document:
        data["document"] = SimpleUploadedFile(
            "subpoena.pdf", b"%PDF-1.4 subpoena", "application/pdf"
        )
    return data


def record(client, data) -> DisclosureRequest:
    response = client.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return DisclosureRequest.objects.latest("pk")


def decide(client, request, decision="approve", reason="Valid subpoena.", told=False):
    data = {"decision": decision, "reason": reason}
    if told:
        data["patron_may_be_told"] = "on"
    return client.post(f"/admin/disclosures/disclosurerequest/{request.pk}/decide/", data)


def test_the_whole_subpoena_flow(clerk, librarian, director, patron, records):
    clerks = client_for(clerk)
    request = record(clerks, subpoena())
    assert request.status == DisclosureRequest.Status.PENDING
    assert request.received_by == clerk
    assert request.patrons_named == 1  # the count the transparency report reads
    # Recording placed a legal hold on the patron's loans.
    hold = LegalHold.objects.get(patron=patron, released_at__isnull=True)
    assert hold.kind_list == ["loan"] and hold.reference == f"disclosure #{request.pk}"

    # The clerk and the librarian cannot decide it.
    assert decide(clerks, request).status_code == 403
    assert decide(client_for(librarian), request).status_code in (403, 404)
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.PENDING

    # The director approves; the package holds exactly the scoped records.
    directors = client_for(director)
    response = decide(directors, request)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.APPROVED
    assert len(request.package_sha256) == 64
    download = directors.get(f"/admin/disclosures/disclosurerequest/{request.pk}/package/")
    assert download.status_code == 200
    raw = b"".join(download.streaming_content)

    assert hashlib.sha256(raw).hexdigest() == request.package_sha256
    package = json.loads(raw)
    assert list(package["patrons"]) == ["21234555500001"]
    loans = package["patrons"]["21234555500001"]["loan"]
    titles = {row["item__title__title"] for row in loans}
    assert titles == {"The Anarchist Cookbook Review", "On Civil Disobedience"}
    assert "Someone Else's Book" not in raw.decode()
    assert set(package["patrons"]["21234555500001"]) == {"loan"}  # no visits, no identity

    # The download was audited, with the director as actor.
    entries = LogEntry.objects.filter(additional_data__page="admin:disclosures:package")
    assert entries.filter(actor=director).exists()
    # The clerk cannot download it.
    assert clerks.get(
        f"/admin/disclosures/disclosurerequest/{request.pk}/package/"
    ).status_code in (403, 404)

    # Handing it over closes the request and releases the hold.
    directors.post(f"/admin/disclosures/disclosurerequest/{request.pk}/fulfil/")
    request.refresh_from_db()
    hold.refresh_from_db()
    assert request.status == DisclosureRequest.Status.FULFILLED
    assert hold.released_at is not None


def test_the_recorder_cannot_decide_even_as_director_or_superuser(
    director, second_director, patron
):
    directors = client_for(director)
    request = record(directors, subpoena())
    assert decide(directors, request).status_code == 403
    director.is_superuser = True
    director.save()
    assert decide(client_for(director), request).status_code == 403
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.PENDING
    assert decide(client_for(second_director), request).status_code == 302


def test_an_emergency_request_with_a_loan_kind_is_refused(clerk, patron):
    response = client_for(clerk).post(
        ADD,
        subpoena(
            kinds=("loan",),
            document=False,
            legal_basis="emergency",
            emergency_statement="A child is missing.",
            person_sought="victim",
        ),
    )
    assert response.status_code == 200
    assert b"may identify a person only" in response.content
    assert not DisclosureRequest.objects.exists()
    assert not LegalHold.objects.exists()


def test_an_emergency_package_holds_identity_fields_only(clerk, director, patron, records):
    request = record(
        client_for(clerk),
        subpoena(
            kinds=("patron",),
            document=False,
            legal_basis="emergency",
            emergency_statement="A child is missing; the patron may be a witness.",
            person_sought="witness",
        ),
    )
    assert decide(client_for(director), request).status_code == 302
    request.refresh_from_db()
    package = json.loads(request.package.open("rb").read())
    identity = package["patrons"]["21234555500001"]["patron"][0]
    assert set(identity) == {
        "first_name",
        "last_name",
        "birth_date",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "phone",
        "email",
    }
    assert identity["last_name"] == "Marsh"
    assert "Civil Disobedience" not in json.dumps(package)


def test_a_request_without_legal_basis_is_refused_at_the_desk_and_never_approved(
    clerk, director, patron
):
    request = record(client_for(clerk), subpoena(legal_basis="none", document=False))
    assert request.status == DisclosureRequest.Status.REFUSED_AT_DESK
    assert request.closed_at is not None
    assert not LegalHold.objects.exists()  # nothing to keep for a demand without process
    decide(client_for(director), request)
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.REFUSED_AT_DESK
    assert not request.package


def test_approval_checks_that_the_legal_basis_is_complete(clerk, director, patron):
    request = record(client_for(clerk), subpoena(document=False))
    response = decide(client_for(director), request)
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.PENDING
    follow = client_for(director).get(f"/admin/disclosures/disclosurerequest/{request.pk}/change/")
    # Said once, on the page, with what is missing: not again as an error message.
    assert follow.content.decode().count("is incomplete: it needs the document") == 1
    assert response.status_code == 302


def test_records_in_scope_survive_the_expunge_until_the_request_closes(
    clerk, director, patron, records
):
    request = record(client_for(clerk), subpoena(kinds=("loan",)))
    result = retention.expunge()
    returned = Loan.objects.get(pk=records["returned"].pk)
    assert returned.patron_id == patron.pk  # held
    assert result.counts["loan"]["held"] >= 1
    assert not Visit.objects.filter(pk=records["visit"].pk).exists()  # not in scope: gone

    decide(client_for(director), request, decision="deny", reason="Out of jurisdiction.")
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.DENIED
    retention.expunge()
    assert not Loan.objects.filter(pk=returned.pk).exists()  # expunged once the request closed


def test_withdrawal_releases_the_hold(clerk, patron):
    clerks = client_for(clerk)
    request = record(clerks, subpoena())
    clerks.post(
        f"/admin/disclosures/disclosurerequest/{request.pk}/withdraw/", {"reason": "Case dropped"}
    )
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.WITHDRAWN
    assert not LegalHold.objects.filter(released_at__isnull=True).exists()


def test_the_patron_is_told_only_when_allowed(
    clerk, director, second_director, patron, mailoutbox, django_capture_on_commit_callbacks
):
    quiet = record(client_for(clerk), subpoena())
    with django_capture_on_commit_callbacks(execute=True):
        decide(client_for(director), quiet, told=False)
    assert mailoutbox == []
    quiet.refresh_from_db()
    assert quiet.patrons_notified_at is None

    told = record(client_for(clerk), subpoena(case_number="2026-CR-0043"))
    with django_capture_on_commit_callbacks(execute=True):
        decide(client_for(second_director), told, told=True)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["imogen@example.org"]
    assert "subpoena" in mailoutbox[0].body and "Civil" not in mailoutbox[0].body
    told.refresh_from_db()
    assert told.patrons_notified_at is not None


def test_a_rerun_of_the_disclosure_notices_tells_no_patron_twice(
    clerk, director, patron, mailoutbox, django_capture_on_commit_callbacks
):
    told = record(client_for(clerk), subpoena())
    with django_capture_on_commit_callbacks(execute=True):
        decide(client_for(director), told, told=True)
    assert len(mailoutbox) == 1
    # The worker died after sending, before it noted the request as told: run again.
    DisclosureRequest.objects.filter(pk=told.pk).update(patrons_notified_at=None)
    assert send_disclosure_notices(told.pk) == 0
    assert len(mailoutbox) == 1


def test_a_secret_request_stays_out_of_the_patrons_own_pages(clerk, director, patron):
    request = record(client_for(clerk), subpoena())
    decide(client_for(director), request, told=False)
    client_for(director).get(f"/admin/disclosures/disclosurerequest/{request.pk}/package/")
    portal = Client()
    portal.post(reverse("portal:login"), {"card_number": "21234555500001", "pin": DEFAULT_PIN})
    data = json.loads(portal.get(reverse("portal:my_data"), {"download": "1"}).content)
    assert data["records"]["legal_hold"]["records"] == []
    assert data["records"]["disclosure_scope"]["records"] == []
    access = portal.get(reverse("portal:access")).content.decode()
    assert "disclosure" not in access.lower()
    assert "Library administrator" not in access  # the package download is not shown


def test_clerks_see_only_the_requests_they_recorded(clerk, director, patron):
    mine = record(client_for(clerk), subpoena())
    other = record(client_for(director), subpoena(case_number="2026-CR-0099"))
    listing = client_for(clerk).get("/admin/disclosures/disclosurerequest/").content.decode()
    assert f"Disclosure request #{mine.pk}" in listing
    assert f"Disclosure request #{other.pk}" not in listing
    full = client_for(director).get("/admin/disclosures/disclosurerequest/").content.decode()
    assert f"Disclosure request #{mine.pk}" in full and f"Disclosure request #{other.pk}" in full


def test_the_document_is_never_served_by_url(clerk, director, patron, client):
    request = record(client_for(clerk), subpoena())
    # The storage has no URL at all.
    with pytest.raises(ValueError):
        request.document.url  # noqa: B018
    assert client_for(clerk).get(
        f"/admin/disclosures/disclosurerequest/{request.pk}/document/"
    ).status_code in (403, 404)
    response = client_for(director).get(
        f"/admin/disclosures/disclosurerequest/{request.pk}/document/"
    )
    assert response.status_code == 200


def test_the_package_file_is_deleted_after_fulfilment(clerk, director, patron, settings, now):
    request = record(client_for(clerk), subpoena())
    decide(client_for(director), request)
    client_for(director).post(f"/admin/disclosures/disclosurerequest/{request.pk}/fulfil/")
    request.refresh_from_db()
    path = request.package.path
    later = now + datetime.timedelta(days=settings.CALUMET_DISCLOSURE_PACKAGE_DAYS + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        retention.expunge()
    request.refresh_from_db()

    assert not os.path.exists(path)
    assert request.package_deleted_at is not None
    assert request.package_sha256  # the register keeps the hash


def test_only_the_administrator_group_holds_the_decide_permission():
    holders = Group.objects.filter(permissions__codename="decide_disclosurerequest")
    assert list(holders.values_list("name", flat=True)) == [LIBRARY_ADMINISTRATOR]


def test_the_expunge_command_lists_the_register_cleanups():
    out = StringIO()
    call_command("expunge", "--dry-run", "--json", stdout=out)
    counts = json.loads(out.getvalue())["counts"]
    assert "disclosure_request" in counts and "disclosure_package" in counts
