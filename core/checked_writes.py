"""The checked save and delete of a settings row (a branch, a rule, a category…), which
the services of the app that owns it call: the actor's permission, the model's own
validation and the rows that still use it, each as a refusal with its reason (a member of
the app's `RefusalCode` enum), and nothing written when one is refused."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.text import capfirst

from core.refusals import RefusalCode


def check_permission(actor, instance: models.Model, action: str) -> None:
    """A staff actor needs the model's `action` permission ("add", "change", "delete");
    None is the system (a command, a migration, the demo loader); anyone else may not."""
    if actor is None:
        return
    opts = instance._meta
    if not isinstance(actor, get_user_model()) or not actor.has_perm(
        f"{opts.app_label}.{action}_{opts.model_name}"
    ):
        raise PermissionDenied(f"You may not {action} {opts.verbose_name_plural} here.")


def _reasons(instance: models.Model, error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for name, messages in error.message_dict.items():
        text = " ".join(messages)
        if name == "__all__":
            parts.append(text)
        else:
            label = capfirst(instance._meta.get_field(name).verbose_name)
            parts.append(f"{label}: {text}")
    return "; ".join(parts)


def save_checked(
    instance: models.Model,
    *,
    actor,
    code: RefusalCode,
    kept: Iterable[str] = (),
) -> models.Model:
    """Validate and save `instance` (new or changed) for `actor`. The fields in `kept`
    belong to other services (a copy's status, a program's counts): a change leaves them
    as the database has them, and they are not written."""
    adding = instance._state.adding or instance.pk is None
    check_permission(actor, instance, "add" if adding else "change")
    kept = tuple(kept)
    with transaction.atomic():
        if not adding and kept:
            stored = type(instance)._default_manager.select_for_update().filter(pk=instance.pk)
            current = stored.values(*kept).first()
            if current is None:
                raise code.refuse(f"This {instance._meta.verbose_name} no longer exists.")
            for name, value in current.items():
                setattr(instance, name, value)
        try:
            instance.full_clean()
        except ValidationError as error:
            raise code.refuse(
                f"{capfirst(instance._meta.verbose_name)} not saved: {_reasons(instance, error)}"
            ) from None
        if adding or not kept:
            instance.save()
        else:
            names = [
                field.name
                for field in instance._meta.concrete_fields
                if not field.primary_key and field.name not in kept
            ]
            instance.save(update_fields=names)
    return instance


def delete_checked(instance: models.Model, *, actor, code: RefusalCode) -> None:
    """Delete `instance` for `actor`, unless rows still point at it (copies of a title,
    loans of a copy): then nothing is deleted and the refusal says what uses it."""
    check_permission(actor, instance, "delete")
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError) as error:
        users = sorted({str(row._meta.verbose_name_plural) for row in error.args[1]})
        raise code.refuse(
            f"{capfirst(instance._meta.verbose_name)} not deleted: it is still used by "
            f"{', '.join(users)}."
        ) from None
