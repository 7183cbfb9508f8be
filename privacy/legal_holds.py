"""Legal holds name record kinds of the registry, never free text.

`RecordKindName` has one row per kind of the record registry, kept in step with it after
every migrate (`sync_record_kind_names`); a hold names its kinds through a
`RecordKindSet` whose members point at those rows, so the database itself refuses a kind
that is not registered. `held_q(kind)` is the expunge's test for held records
(`privacy.retention` imports it from here). `normalise_legacy_kinds` turns the free text
of holds typed before this (``"hold, loan"``) into kinds, holding every kind whenever a
word is not understood: holding more than asked is safe, holding less is not.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db.models import Count, Exists, OuterRef, Q

from privacy.models import LegalHold, RecordKindSetMember
from privacy.policy import kernel_model
from privacy.registry import RecordKind, registry


def kind_label(kind: RecordKind) -> str:
    """How staff read a kind on the hold form: the registry's staff-facing name."""
    return kind.label


def holdable_kinds() -> list[RecordKind]:
    """Kinds a hold may name: every kind the expunge removes on its own (a card goes with
    the registration, so holding the registration holds the cards)."""
    return registry.holdable()


def holdable_names() -> list[str]:
    return [kind.name for kind in holdable_kinds()]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.name, kind_label(kind)) for kind in holdable_kinds()]


def sync_record_kind_names(sender=None, apps=None, **kwargs) -> int:
    """Create (and relabel) a `RecordKindName` row for every registered kind. Rows of
    kinds no longer registered stay: a hold may still name them. Returns rows created."""
    if apps is None:
        apps = global_apps
    try:
        model = kernel_model(apps, "RecordKindName")
    except LookupError:
        return 0
    existing = dict(model.objects.values_list("name", "label"))
    created = 0
    for kind in registry:
        label = kind_label(kind)[:100]
        if kind.name not in existing:
            model.objects.create(name=kind.name, label=label)
            created += 1
        elif existing[kind.name] != label:
            model.objects.filter(name=kind.name).update(label=label)
    return created


def normalise_legacy_kinds(value: str | None, known: set[str] | list[str]) -> list[str] | None:
    """The kinds a legacy free-text hold names, or None for every kind.

    Split on commas, strip spaces, lower-case. Empty means every kind (as it always did);
    any word that is not a known kind also means every kind, never fewer."""
    words = [word.strip().lower() for word in (value or "").split(",")]
    words = [word for word in words if word]
    if not words:
        return None
    if any(word not in known for word in words):
        return None
    return sorted(set(words))


def kind_set_for(names: list[str], *, apps=None):
    """The `RecordKindSet` with exactly these kinds (made if there is none yet)."""
    if apps is None:
        apps = global_apps
    kind_set_model = kernel_model(apps, "RecordKindSet")
    member_model = kernel_model(apps, "RecordKindSetMember")
    names = sorted(set(names))
    match = (
        kind_set_model.objects.annotate(
            size=Count("members", distinct=True),
            named=Count("members", filter=Q(members__kind_id__in=names), distinct=True),
        )
        .filter(size=len(names), named=len(names))
        .order_by("pk")
        .first()
    )
    if match is not None:
        return match
    kind_set = kind_set_model.objects.create()
    member_model.objects.bulk_create(
        [member_model(kind_set=kind_set, kind_id=name) for name in names]
    )
    return kind_set


def held_q(kind: RecordKind) -> Q:
    """Records of this kind under an unreleased legal hold on their patron: a hold of
    every kind, or whose set names this kind (or, failing safe, names no kind at all)."""
    if not kind.reaches_patron:
        return Q(pk__in=[])  # no patron yet: nothing a hold on a patron can name
    patron_ref = "pk" if not kind.patron_path else kind.patron_lookup()
    members = RecordKindSetMember.objects.filter(kind_set_id=OuterRef("kind_set_id"))
    holds = LegalHold.objects.filter(
        released_at__isnull=True, patron_id=OuterRef(patron_ref)
    ).filter(
        Q(every_kind=True)
        | Q(kind_set__isnull=True)
        | Exists(members.filter(kind_id=kind.name))
        | ~Exists(members)
    )
    if kind.closed_at is not None:
        holds = holds.filter(
            Q(covers_from__isnull=True) | Q(covers_from__lte=OuterRef("closed_on"))
        )
    return Q(Exists(holds))
