"""Every state change of a disclosure request.

Recording is open to any staff member; deciding needs `disclosures.decide_disclosurerequest`
(Library administrators only) and is never allowed to the person who recorded the request,
superusers included. A request with no legal basis is recorded as refused at the desk and
can never be approved. While a request is pending or approved, a legal hold keeps the
records in scope from the expunge.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from disclosures.exceptions import DisclosureRefusal, DisclosureRefused
from disclosures.models import DisclosureRequest, DisclosureScope
from disclosures.notices import queue_disclosure_notices
from disclosures.selectors import (
    DECIDE,
    EMERGENCY_KINDS,
    basis_problem,
    may_complete,
    missing_details,
)
from disclosures.transparency import count_outcome, count_received
from patrons.models import Card
from privacy.acting import service
from privacy.registry import registry
from privacy.retention import retention_days
from privacy.services import legal_hold_place, legal_hold_release
from staff.roles import require


def disclosable_kinds() -> list[str]:
    """Kinds a request may name (a card goes with the registration; the register's own
    records are not released through itself)."""
    return [
        kind.name for kind in registry if kind.expunge.value != "with_owner" and kind.disclosable
    ]


@dataclass
class RequestDetails:
    agency: str
    requester_name: str
    legal_basis: str
    kinds: list[str]
    card_numbers: list[str]
    #: DisclosureRequest.NonDisclosure: asked of everyone who records a request.
    non_disclosure_order: str = ""
    requester_id_number: str = ""
    requester_contact: str = ""
    issuing_authority: str = ""
    case_number: str = ""
    issued_on: datetime.date | None = None
    emergency_statement: str = ""
    person_sought: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    document: object | None = None  # an uploaded file


def _day_start(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _day_end(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return _day_start(day) + datetime.timedelta(days=1)


@service
def disclosure_record(*, details: RequestDetails, actor) -> DisclosureRequest:
    """Enter a demand for records in the register. With no legal basis it is refused at
    the desk; otherwise it waits for the administrator and holds the records in scope."""
    if actor is None or not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can record a disclosure request.")
    Basis = DisclosureRequest.Basis
    if details.legal_basis not in Basis.values:
        raise DisclosureRefused(DisclosureRefusal.BASIS)
    kinds = sorted(set(details.kinds))
    allowed = set(disclosable_kinds())
    if not kinds:
        raise DisclosureRefused(DisclosureRefusal.KINDS)
    if set(kinds) - allowed:
        raise DisclosureRefused(
            f"Unknown record kind: {', '.join(sorted(set(kinds) - allowed))}.",
            code=DisclosureRefusal.KINDS,
        )
    if details.legal_basis == Basis.EMERGENCY and set(kinds) - set(EMERGENCY_KINDS):
        raise DisclosureRefused(DisclosureRefusal.EMERGENCY_SCOPE)
    if details.non_disclosure_order not in DisclosureRequest.NonDisclosure.values:
        raise DisclosureRefused(DisclosureRefusal.NON_DISCLOSURE_ORDER)
    if details.period_start and details.period_end and details.period_end < details.period_start:
        raise DisclosureRefused(DisclosureRefusal.PERIOD)
    numbers = ["".join(n.split()) for n in details.card_numbers if n.strip()]
    if not numbers:
        raise DisclosureRefused(DisclosureRefusal.CARDS)
    cards = {c.number: c for c in Card.objects.filter(number__in=numbers).select_related("patron")}
    missing = [n for n in numbers if n not in cards]
    if missing:
        raise DisclosureRefused(
            f"{len(missing)} card number{'s' if len(missing) != 1 else ''} not found. "
            "Check the numbers on the document.",
            code=DisclosureRefusal.CARDS,
        )
    if not details.agency.strip() or not details.requester_name.strip():
        raise DisclosureRefused(DisclosureRefusal.WHO)

    refused = details.legal_basis == Basis.NONE
    now = timezone.now()
    with transaction.atomic():
        request = DisclosureRequest(
            received_by=actor,
            received_at=now,
            agency=details.agency.strip()[:200],
            requester_name=details.requester_name.strip()[:200],
            requester_id_number=details.requester_id_number.strip()[:100],
            requester_contact=details.requester_contact.strip()[:200],
            legal_basis=details.legal_basis,
            non_disclosure_order=details.non_disclosure_order,
            issuing_authority=details.issuing_authority.strip()[:200],
            case_number=details.case_number.strip()[:100],
            issued_on=details.issued_on,
            emergency_statement=details.emergency_statement.strip(),
            person_sought=details.person_sought,
            kinds=",".join(kinds),
            period_start=details.period_start,
            period_end=details.period_end,
            status=(
                DisclosureRequest.Status.REFUSED_AT_DESK
                if refused
                else DisclosureRequest.Status.PENDING
            ),
            closed_at=now if refused else None,
        )
        if details.document is not None:
            request.document = details.document
        request.save()
        patrons = {card.patron_id: card.patron for card in cards.values()}
        for patron in patrons.values():
            hold = None
            if not refused:
                hold = legal_hold_place(
                    patron=patron,
                    # The registration is every record about the patron: hold them all.
                    kinds=None if "patron" in kinds else kinds,
                    covers_from=_day_start(details.period_start),
                    covers_until=_day_end(details.period_end),
                    reason=f"{request.get_legal_basis_display()} pending decision",
                    reference=request.reference,
                    actor=actor,
                )
            DisclosureScope.objects.create(request=request, patron=patron, legal_hold=hold)
        request.patrons_named = len(patrons)
        request.save(update_fields=["patrons_named"])
        count_received(request)
        return request


@service
def disclosure_complete(
    *,
    request: DisclosureRequest,
    actor,
    issuing_authority: str = "",
    case_number: str = "",
    issued_on: datetime.date | None = None,
    document=None,
    emergency_statement: str = "",
    person_sought: str = "",
) -> DisclosureRequest:
    """Add details of the legal basis that were missing when the request was recorded.
    Only blank details are filled: what the register already says is never overwritten
    (a correction is a new request)."""
    if not may_complete(request, actor):
        if request.status != DisclosureRequest.Status.PENDING:
            raise DisclosureRefused(DisclosureRefusal.STATUS)
        raise PermissionDenied(
            "Only the person who recorded the request, or staff allowed to record "
            "requests, can add to it."
        )
    given = {
        "issuing_authority": (issuing_authority or "").strip()[:200],
        "case_number": (case_number or "").strip()[:100],
        "issued_on": issued_on,
        "document": document,
        "emergency_statement": (emergency_statement or "").strip(),
        "person_sought": person_sought or "",
    }
    if given["person_sought"] and given["person_sought"] not in (
        DisclosureRequest.PersonSought.values
    ):
        raise DisclosureRefused(DisclosureRefusal.PERSON_SOUGHT)
    with transaction.atomic():
        request = _locked(request)
        if request.status != DisclosureRequest.Status.PENDING:
            raise DisclosureRefused(DisclosureRefusal.STATUS)
        missing = set(missing_details(request))
        changed = [name for name, value in given.items() if value and name in missing]
        if not changed:
            raise DisclosureRefused(DisclosureRefusal.EMPTY)
        for name in changed:
            if name == "document":
                request.document = given["document"]
            else:
                setattr(request, name, given[name])
        request.save()
        return request


def _may_decide(request: DisclosureRequest, actor) -> None:
    require(actor, DECIDE, "decide disclosure requests")
    if actor.pk == request.received_by_id:
        raise PermissionDenied(
            "You recorded this request, so a library administrator other than you must decide it."
        )


def _locked(request: DisclosureRequest) -> DisclosureRequest:
    return DisclosureRequest.objects.select_for_update().get(pk=request.pk)


def _release_holds(request: DisclosureRequest, actor) -> None:
    for scope in request.scopes.select_related("legal_hold"):
        if scope.legal_hold and scope.legal_hold.released_at is None:
            legal_hold_release(hold=scope.legal_hold, actor=actor)


def package_contents(request: DisclosureRequest, *, now: datetime.datetime | None = None) -> dict:
    """The records in scope, from the registry's exports (identity fields only for an
    emergency), keyed by the card number the request named."""
    now = now or timezone.now()
    identity_only = request.legal_basis == DisclosureRequest.Basis.EMERGENCY
    start, end = _day_start(request.period_start), _day_end(request.period_end)
    patrons = {}
    for scope in request.scopes.select_related("patron"):
        patron = scope.patron
        card = patron.cards.order_by("-issued_at").first()
        sections = {}
        for name in request.kind_list:
            kind = registry.get(name)
            rows = kind.in_period(kind.for_patron(patron), start, end, now).order_by("pk")
            sections[name] = [kind.export(row, identity_only=identity_only) for row in rows]
        patrons[card.number if card else f"patron-{scope.pk}"] = sections
    return {
        "library": settings.CALUMET_LIBRARY_NAME,
        "request": {
            "reference": request.reference,
            "legal_basis": request.get_legal_basis_display(),
            "issuing_authority": request.issuing_authority,
            "case_number": request.case_number,
            "issued_on": request.issued_on.isoformat() if request.issued_on else None,
            "agency": request.agency,
            "requested_by": request.requester_name,
            "period": [
                request.period_start.isoformat() if request.period_start else None,
                request.period_end.isoformat() if request.period_end else None,
            ],
            "kinds": request.kind_list,
            "identity_fields_only": identity_only,
        },
        "released_at": now.isoformat(),
        "patrons": patrons,
    }


@service
def disclosure_approve(
    *, request: DisclosureRequest, actor, reason: str, patron_may_be_told: bool
) -> DisclosureRequest:
    """Approve, build the release package (its SHA-256 goes in the register) and, where
    no non-disclosure order forbids it, tell the patrons."""
    _may_decide(request, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DisclosureRefused(DisclosureRefusal.REASON)
    now = timezone.now()
    with transaction.atomic():
        request = _locked(request)
        under_order = request.non_disclosure_order == DisclosureRequest.NonDisclosure.YES
        if patron_may_be_told and under_order:
            raise DisclosureRefused(
                "A non-disclosure order was recorded with this request: the patron may not "
                "be told.",
                code=DisclosureRefusal.NON_DISCLOSURE_ORDER,
            )
        if request.status != DisclosureRequest.Status.PENDING:
            raise DisclosureRefused(
                f"This request is {request.get_status_display().lower()}; only a pending "
                "request can be approved.",
                code=DisclosureRefusal.STATUS,
            )
        problem = basis_problem(request)
        if problem:
            raise DisclosureRefused(problem, code=DisclosureRefusal.BASIS)
        contents = package_contents(request, now=now)
        raw = json.dumps(contents, indent=2, ensure_ascii=False, sort_keys=True).encode()
        request.package.save(f"disclosure-{request.pk}.json", ContentFile(raw), save=False)
        request.package_sha256 = hashlib.sha256(raw).hexdigest()
        request.package_created_at = now
        request.status = DisclosureRequest.Status.APPROVED
        request.decided_by = actor
        request.decided_at = now
        request.decision_reason = reason
        request.patron_may_be_told = bool(patron_may_be_told)
        request.save()
        count_outcome(request, was=DisclosureRequest.Status.PENDING, now=now)
        if request.patron_may_be_told:
            queue_disclosure_notices(request_id=request.pk)
        return request


@service
def disclosure_deny(*, request: DisclosureRequest, actor, reason: str) -> DisclosureRequest:
    _may_decide(request, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DisclosureRefused(DisclosureRefusal.REASON)
    now = timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if request.status != DisclosureRequest.Status.PENDING:
            raise DisclosureRefused(
                "Only a pending request can be denied.", code=DisclosureRefusal.STATUS
            )
        request.status = DisclosureRequest.Status.DENIED
        request.decided_by = actor
        request.decided_at = now
        request.decision_reason = reason
        request.closed_at = now
        request.save()
        count_outcome(request, was=DisclosureRequest.Status.PENDING, now=now)
        _release_holds(request, actor)
        return request


@service
def disclosure_withdraw(
    *, request: DisclosureRequest, actor, reason: str = ""
) -> DisclosureRequest:
    """The requester withdrew the demand (recorded by any staff member)."""
    if actor is None or not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can withdraw a request.")
    now = timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if not request.is_open:
            raise DisclosureRefused(
                "This request is already closed.", code=DisclosureRefusal.STATUS
            )
        was = request.status
        request.status = DisclosureRequest.Status.WITHDRAWN
        request.decision_reason = (reason or "Withdrawn by the requester.").strip()
        request.closed_at = now
        if request.package:
            request.package.delete(save=False)
            request.package_deleted_at = now
        request.save()
        count_outcome(request, was=was, now=now)
        _release_holds(request, actor)
        return request


@service
def disclosure_mark_fulfilled(*, request: DisclosureRequest, actor) -> DisclosureRequest:
    """The package was handed over. The hold ends; the package file is deleted after
    CALUMET_DISCLOSURE_PACKAGE_DAYS."""
    _may_decide_fulfil(actor)
    now = timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if request.status != DisclosureRequest.Status.APPROVED:
            raise DisclosureRefused(
                "Only an approved request can be fulfilled.", code=DisclosureRefusal.STATUS
            )
        request.status = DisclosureRequest.Status.FULFILLED
        request.fulfilled_at = now
        request.closed_at = now
        request.save()
        _release_holds(request, actor)
        return request


def _may_decide_fulfil(actor) -> None:
    require(actor, DECIDE, "hand over a release package")


def packages_delete_expired(*, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """Release packages are deleted a set number of days after the request is fulfilled."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.CALUMET_DISCLOSURE_PACKAGE_DAYS)
    due = DisclosureRequest.objects.filter(
        fulfilled_at__lte=cutoff, package_deleted_at__isnull=True
    ).exclude(package="")
    if dry_run:
        return due.count()
    count = 0
    for request in due:
        request.package.delete(save=False)
        request.package_deleted_at = now
        request.save(update_fields=["package", "package_deleted_at"])
        count += 1
    return count


def requests_delete_expired(*, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """The register keeps closed requests for the disclosure_request retention, then
    deletes them with their documents and packages. The transparency report's yearly
    figures (DisclosureYear) are counts and stay."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=retention_days("disclosure_request"))
    due = DisclosureRequest.objects.filter(closed_at__lte=cutoff)
    if dry_run:
        return due.count()
    scope_kind = registry.get("disclosure_scope")
    count = 0
    for request in due:
        for field in (request.document, request.package):
            if field:
                field.delete(save=False)
        scope_kind.expunge_queryset(request.scopes.all(), now)  # scrubs their audit entries
        request.delete()
        count += 1
    return count
