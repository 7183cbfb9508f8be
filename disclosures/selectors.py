"""What the disclosure register's pages ask of a request: what is missing from its legal
basis, why it cannot be approved yet, and who may add to it. Reads only."""

from __future__ import annotations

from disclosures.models import DisclosureRequest

DECIDE = "disclosures.decide_disclosurerequest"
RECORD = "disclosures.add_disclosurerequest"
# An emergency release identifies a person: the registration's identity fields only.
EMERGENCY_KINDS = ("patron",)


#: Details of the legal basis that can be added after recording, with what staff call them.
DETAIL_LABELS = {
    "document": "the document (a scan or PDF)",
    "case_number": "the case number",
    "issuing_authority": "the issuing court or authority",
    "issued_on": "the date it was issued",
    "emergency_statement": "the written statement of the emergency",
    "person_sought": "whether the person sought is a suspect, a victim or a witness",
}


def missing_details(request: DisclosureRequest) -> list[str]:
    """The details still blank on the request that its legal basis calls for (fields of
    DETAIL_LABELS; the date issued is asked for but not required to approve)."""
    Basis = DisclosureRequest.Basis
    if request.legal_basis in (Basis.COURT_ORDER, Basis.SUBPOENA):
        wanted = ("document", "issuing_authority", "case_number", "issued_on")
    elif request.legal_basis == Basis.EMERGENCY:
        wanted = ("emergency_statement", "person_sought")
    else:
        return []
    return [name for name in wanted if not getattr(request, name)]


def may_complete(request: DisclosureRequest, actor) -> bool:
    """The recorder, or any staff member allowed to record requests, may add what is
    missing while the request waits for a decision."""
    return (
        actor is not None
        and getattr(actor, "is_staff", False)
        and request.status == DisclosureRequest.Status.PENDING
        and (actor.pk == request.received_by_id or actor.has_perm(RECORD))
    )


def basis_problem(request: DisclosureRequest) -> str | None:
    """Why the legal basis is not complete enough to approve, or None."""
    Basis = DisclosureRequest.Basis
    if request.legal_basis == Basis.NONE:
        return "No legal process was presented: this request can never be approved."
    if request.legal_basis in (Basis.COURT_ORDER, Basis.SUBPOENA):
        missing = [
            label
            for label, value in (
                ("the document", request.document),
                ("the case number", request.case_number),
                ("the issuing court or authority", request.issuing_authority),
            )
            if not value
        ]
        if missing:
            basis = request.get_legal_basis_display().lower()
            return f"The {basis} is incomplete: it needs {_and(missing)}."
    if request.legal_basis == Basis.EMERGENCY:
        if not request.emergency_statement.strip():
            return "An emergency request needs the written statement of the emergency."
        if not request.person_sought:
            return "Say whether the person sought is a suspect, a victim or a witness."
        if set(request.kind_list) - set(EMERGENCY_KINDS):
            return "An emergency request may release identity fields only."
    return None


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
