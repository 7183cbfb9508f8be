# ruff: noqa: F811 (the fixtures of test_disclosures are imported by name)
"""A request recorded without its document, court or case number can be completed by
the person who recorded it (or staff allowed to record), and the administrator is told
once, plainly, what is missing and who must act."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from disclosures import services
from disclosures.exceptions import DisclosureRefused
from disclosures.models import DisclosureRequest
from tests.disclosures.test_disclosures import (  # noqa: F401 (fixtures)
    client_for,
    decide,
    patron,
    private_media,
    record,
    subpoena,
)
from tests.factories import CardFactory
from tests.helpers import make_staff, signed_in

pytestmark = pytest.mark.django_db


def page(client, request):
    return client.get(f"/admin/disclosures/disclosurerequest/{request.pk}/change/")


def test_the_recorder_adds_the_missing_document_and_the_director_approves(clerk, director, patron):
    clerks, directors = client_for(clerk), client_for(director)
    request = record(clerks, subpoena(document=False, case_number="", issuing_authority=""))

    shown = page(directors, request).content.decode()
    assert shown.count("Approve is not possible yet") == 1
    assert "it needs the document, the case number and the issuing court" in shown
    assert "the case number" in shown
    assert "Approve and build the package" not in shown
    assert "Add the missing details" in shown  # staff allowed to record may add them

    assert "Add the missing details" in page(clerks, request).content.decode()
    url = f"/admin/disclosures/disclosurerequest/{request.pk}/complete/"
    form = clerks.get(url)
    assert form.status_code == 200
    assert 'name="case_number"' in form.content.decode()
    response = clerks.post(
        url,
        {
            "case_number": "2026-CR-0042",
            "issuing_authority": "Circuit Court",
            "document": SimpleUploadedFile("s.pdf", b"%PDF-1.4 x", "application/pdf"),
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.case_number == "2026-CR-0042" and request.document

    shown = page(directors, request).content.decode()
    assert "Approve is not possible yet" not in shown
    assert "Approve and build the package" in shown
    decide(directors, request)
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.APPROVED


def test_completion_never_overwrites_and_refuses_when_nothing_is_missing(clerk, patron):
    request = record(client_for(clerk), subpoena(document=False))
    with pytest.raises(DisclosureRefused):
        services.disclosure_complete(request=request, actor=clerk, case_number="OTHER-1")
    request.refresh_from_db()
    assert request.case_number == "2026-CR-0042"


def test_staff_who_may_not_record_cannot_complete(clerk, patron, db):
    request = record(client_for(clerk), subpoena(document=False))
    outsider = make_staff("outsider")
    with pytest.raises(PermissionDenied):
        services.disclosure_complete(
            request=request,
            actor=outsider,
            document=SimpleUploadedFile("s.pdf", b"%PDF", "application/pdf"),
        )
    response = client_for(outsider).get(
        f"/admin/disclosures/disclosurerequest/{request.pk}/complete/"
    )
    assert response.status_code in (403, 404)


def test_a_decided_request_cannot_be_completed(clerk, director, patron):
    request = record(client_for(clerk), subpoena(document=False))
    decide(client_for(director), request, decision="deny", reason="No document.")
    request.refresh_from_db()
    with pytest.raises(DisclosureRefused):
        services.disclosure_complete(
            request=request,
            actor=clerk,
            document=SimpleUploadedFile("s.pdf", b"%PDF", "application/pdf"),
        )


def test_the_recorder_is_told_who_decides(clerk, director, patron):
    request = record(client_for(director), subpoena())
    shown = page(client_for(director), request).content.decode()
    assert "a library administrator other than you must decide it" in shown


def test_the_request_page_speaks_to_staff(clerk, director, patron):
    request = record(client_for(clerk), subpoena(kinds=("loan", "hold")))
    shown = page(client_for(director), request).content.decode()
    assert "Comma-separated" not in shown
    assert "False when a non-disclosure order" not in shown
    assert 'name="scopes-MAX_NUM_FORMS" value="0"' in shown  # no "Add another" link
    assert "Loans, Holds" in shown or ("Holds" in shown and "Loans" in shown)
    assert "Not decided yet" in shown


def test_staff_who_may_not_see_the_patrons_named_are_told_why(clerk, director):
    """The clerk sees a sentence where the administrator sees the table, never an empty one."""
    card = CardFactory()
    request = services.disclosure_record(
        details=services.RequestDetails(
            agency="Sheriff",
            requester_name="Det. Halloran",
            legal_basis="subpoena",
            non_disclosure_order="no",
            kinds=["loan"],
            card_numbers=[card.number],
            issuing_authority="Circuit Court",
        ),
        actor=clerk,
    )
    url = f"/admin/disclosures/disclosurerequest/{request.pk}/change/"

    def text(user):
        html = signed_in(user).get(url).content.decode()
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    as_clerk = text(clerk)
    assert "Patrons named Not shown to your role." in as_clerk
    assert "a library administrator, who decides the request" in as_clerk
    named = f"{card.patron.full_name}, card {card.masked_number}"
    assert named not in as_clerk and card.patron.last_name not in as_clerk
    as_director = text(director)
    assert "Not shown to your role" not in as_director
    # The administrator deciding reads who is named: name and masked card.
    assert f"Patron named: {named}" in as_director  # in the decision panel, at the top
    assert "Patron #" not in as_director
