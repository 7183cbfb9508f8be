"""The library's policy (`LibraryPolicy`): changed by the library administrator only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models.policy import LibraryPolicy
from privacy.acting import service

#: What the administrator may change (everything but the key and the time of the change).
EDITABLE = tuple(
    field.name
    for field in LibraryPolicy._meta.concrete_fields
    if field.editable and field.name != "updated_at"
)


@service
def library_policy_update(*, actor, changes: dict) -> LibraryPolicy:
    """Change some of the library's settings; every value is checked (amounts as decimals
    of at most two places, days within their ranges) and nothing changes if one is wrong.
    The audit log records the change as the actor's."""
    if actor is None or not actor.has_perm("circulation.change_librarypolicy"):
        raise PermissionDenied("Only the library administrator can change the library policy.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise CirculationRefused(
            f"Not a library setting: {', '.join(unknown)}.", code=CirculationRefusal.POLICY_SETTING
        )
    with transaction.atomic():
        policy, _ = LibraryPolicy.objects.select_for_update().get_or_create(pk=1)
        for name, value in changes.items():
            setattr(policy, name, value)
        try:
            policy.full_clean()
        except ValidationError as error:  # the message says why; the error adds nothing
            reasons = "; ".join(
                f"{LibraryPolicy._meta.get_field(name).verbose_name}: {' '.join(messages)}"
                if name in EDITABLE
                else " ".join(messages)
                for name, messages in error.message_dict.items()
            )
            raise CirculationRefused(
                f"Library policy not changed: {reasons}", code=CirculationRefusal.POLICY_VALUES
            ) from None
        policy.save()
    return policy
