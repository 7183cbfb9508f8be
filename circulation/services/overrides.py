"""Staff overrides of a circulation limit, by role and with a reason.

A check-out above the fine limit, a check-out of a copy waiting on the hold shelf for
another patron and a renewal past the renewal limit are refused; staff whose role holds the
permission (`circulation.override_fine_limit`, `circulation.override_hold_shelf`,
`circulation.override_renewal_limit`: librarians and up, `circulation/records.py`) may do
it anyway with a reason from `OverrideReason` (and a note for "Other"). The hold the copy
was waiting for goes back to the front of its queue (`hold_back_to_queue`). The loan keeps the
override (kind, reason, note, who), the audit log records the change (the note masked),
and the patron's page shows it. A clerk without the permission is told which role may.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group

from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models.lending import Loan, OverrideKind, OverrideReason
from staff.roles import LIBRARY_ADMINISTRATOR, ORDER

PERMISSIONS = {
    OverrideKind.RENEWAL_LIMIT: "circulation.override_renewal_limit",
    OverrideKind.FINE_LIMIT: "circulation.override_fine_limit",
    OverrideKind.HOLD_SHELF: "circulation.override_hold_shelf",
}


@dataclass(frozen=True)
class Override:
    kind: str
    reason: str = ""
    note: str = ""


def roles_that_may(kind: str) -> str:
    """The lowest role whose members may make this override (the roles above it may too),
    for the refusal: "Librarian"."""
    app, codename = PERMISSIONS[kind].split(".")
    names = set(
        Group.objects.filter(
            permissions__codename=codename, permissions__content_type__app_label=app
        ).values_list("name", flat=True)
    )
    return next((role for role in ORDER if role in names), LIBRARY_ADMINISTRATOR)


def check_override(override: Override, *, actor) -> Override:
    """The override is allowed for this staff member and says why; else a refusal that
    changes nothing."""
    if override.kind not in PERMISSIONS:
        raise CirculationRefused("Choose what to override.", code=CirculationRefusal.OVERRIDE_KIND)
    label = OverrideKind(override.kind).label.lower()
    if not getattr(actor, "has_perm", None) or not actor.has_perm(PERMISSIONS[override.kind]):
        raise CirculationRefused(
            f"Only {roles_that_may(override.kind)} staff and up may override the {label}. "
            "Nothing was changed.",
            code=CirculationRefusal.OVERRIDE_PERMISSION,
        )
    if override.reason not in OverrideReason.values:
        raise CirculationRefused(
            f"Choose a reason to override the {label}. Nothing was changed.",
            code=CirculationRefusal.OVERRIDE_REASON,
        )
    note = (override.note or "").strip()
    if override.reason == OverrideReason.OTHER and not note:
        raise CirculationRefused(
            "Say why in the note when the reason is Other. Nothing was changed.",
            code=CirculationRefusal.OVERRIDE_REASON,
        )
    if len(note) > 100:
        raise CirculationRefused(
            "Keep the note to 100 characters.", code=CirculationRefusal.OVERRIDE_REASON
        )
    return Override(kind=override.kind, reason=override.reason, note=note)


def record_override(loan: Loan, override: Override, *, actor) -> None:
    """Keep the override on the loan (saved through the model: the audit log records it)."""
    loan.override_kind = override.kind
    loan.override_reason = override.reason
    loan.override_note = override.note
    loan.override_by = actor if getattr(actor, "is_staff", False) else None
    loan.save(update_fields=["override_kind", "override_reason", "override_note", "override_by"])
