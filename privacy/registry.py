"""The record registry: every kind of record that links a patron to the library.

Each app declares its kinds in `<app>/records.py` with `registry.register(RecordKind(...))`;
`autodiscover()` imports those modules at start-up, like the admin does for `admin.py`.
The retention engine, the patron's data export, disclosure packages and legal holds all
work over this registry, so a new kind of record is one registration and nothing that
walks the registry can forget it.

A kind answers, for one model:

* how it reaches the patron (`patron_path`, a lookup such as ``"patron"``; None for an
  applicant's record that reaches no patron yet, such as an online sign-up not yet
  collected at the desk: it is expunged on its own rule and never shown as a patron's);
* when a record is *active* (`active`, a function of "now" returning a ``Q``);
* when it *closed* (`closed_at`, an expression; retention counts from it);
* how it is expunged (`Expunge.DELETE`, or `Expunge.ANONYMISE`: deleted too, its use
  having been counted in the anonymous statistics when it happened);
* which other rows its records point at (`refs`), so the expunge can clear what still
  mentions them (desk sessions) and rewrite them (see `privacy/retention.py`);
* which fields a patron export and a disclosure package carry (`export_fields`), and
  which of them are *identity* fields (`identity_fields`, the only ones an emergency
  release may carry).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from core.db import in_values
from privacy.audit_trail import delete_quietly, delete_trail
from privacy.policy import RULES_BY_KIND, RetentionRule, register_rule


class Expunge(enum.Enum):
    DELETE = "delete"
    #: Deleted as well; reported as "anonymised" because what the library needs of it
    #: (counts per day, branch, item type, category) was kept when it happened.
    ANONYMISE = "anonymise"
    #: Removed together with another kind (a card goes with its patron's registration).
    WITH_OWNER = "with_owner"


class RegistryError(Exception):
    pass


@dataclass(frozen=True)
class RecordKind:
    name: str
    model: type[models.Model]
    #: Lookup from the model to `patrons.Patron`; "" for the Patron model itself; None
    #: for an applicant's record that reaches no patron (yet).
    patron_path: str | None
    #: now -> Q selecting the records still needed for an open transaction.
    active: Callable[[datetime.datetime], Q]
    #: The timestamp retention counts from (an expression over the model's fields).
    #: None for a kind that never closes on its own (its owner decides).
    closed_at: Callable[[], Any] | None
    expunge: Expunge
    export_fields: tuple[str, ...]
    identity_fields: tuple[str, ...] = ()
    #: Other rows a record points at, by name: {"item": "item_id"}. The expunge gathers
    #: them for every record it removes (with the patron's id) and passes them on.
    refs: Mapping[str, str] = field(default_factory=dict)
    #: The retention rule this kind follows (defaults to its own name).
    policy_kind: str | None = None
    #: When a record began (an expression), for date-ranged scopes such as a disclosure.
    opened_at: Callable[[], Any] | None = None
    #: Q selecting closed records the patron asked us to keep (opted-in reading history).
    kept_by_patron: Callable[[], Q] | None = None
    #: Q of the records the patron's own data download may show (None: all). Records a
    #: court may forbid telling the patron about (legal holds, disclosure scopes) are
    #: shown only once the patron may be told.
    patron_visible: Callable[[], Q] | None = None
    #: Fields never written to the audit log (secrets).
    audit_exclude: tuple[str, ...] = ()
    #: Fields whose changes are logged by name only (personal data, free text).
    audit_mask: tuple[str, ...] = ()
    #: Export fields that name the material (a title, a barcode): the audit issue masks them.
    material_fields: tuple[str, ...] = ()
    #: What staff call these records ("Loans"); default: the model's plural name.
    staff_name: str = ""
    #: What the patron is told they are ("your loans"), on the patron's own pages.
    patron_name: str = ""
    #: The kind's retention rule (default days and the public wording); a kind that
    #: follows another kind's rule names it in `policy_kind` instead.
    retention: RetentionRule | None = None
    #: May be released to a court (a disclosure names it); the disclosure register's own
    #: records and legal holds are not released through themselves.
    disclosable: bool = True
    #: now -> Q of exactly the records `active` leaves out, written so that the database
    #: can plan it well (`NOT EXISTS` rather than the negation of an `OR ... EXISTS`,
    #: which PostgreSQL evaluates by hashing the whole subquery for every statement: a
    #: twentieth of each expunge batch). None: `~active(now)`. A test checks the two
    #: agree for every kind that has one.
    closed: Callable[[datetime.datetime], Q] | None = None

    def __post_init__(self) -> None:
        if self.expunge is not Expunge.WITH_OWNER and self.closed_at is None:
            raise RegistryError(f"Record kind {self.name!r} needs a closed_at expression.")
        unknown = set(self.identity_fields) - set(self.export_fields)
        if unknown:
            raise RegistryError(
                f"Identity fields {sorted(unknown)} of {self.name!r} are not export fields."
            )

    # -- description -------------------------------------------------------------------

    @property
    def reaches_patron(self) -> bool:
        """False for an applicant's record (an online sign-up): no patron exists yet."""
        return self.patron_path is not None

    @property
    def rule(self) -> RetentionRule:
        return RULES_BY_KIND[self.policy_kind or self.name]

    @property
    def label(self) -> str:
        return self.staff_name or str(self.model._meta.verbose_name_plural).capitalize()

    @property
    def patron_label(self) -> str:
        return self.patron_name or f"your {self.model._meta.verbose_name_plural}"

    def patron_id_of(self, record: models.Model) -> int | None:
        """The id of the patron a record of this kind belongs to (None once unlinked)."""
        if self.patron_path is None:
            return None
        if not self.patron_path:
            return record.pk
        if "__" not in self.patron_path:
            return getattr(record, f"{self.patron_path}_id", None)
        value = record
        for part in self.patron_path.split("__"):
            if value is None:
                return None
            value = getattr(value, part, None)
        return value.pk if value is not None else None

    # -- querysets ---------------------------------------------------------------------

    def patron_lookup(self, suffix: str = "") -> str:
        if self.patron_path is None:
            raise RegistryError(f"Record kind {self.name!r} reaches no patron.")
        if not self.patron_path:
            return suffix or "pk"
        return f"{self.patron_path}__{suffix}" if suffix else self.patron_path

    def all(self) -> QuerySet:
        return self.model._default_manager.all()

    def for_patron(self, patron) -> QuerySet:
        """Every record of this kind that belongs to `patron`."""
        if self.patron_path is None:
            return self.all().none()
        if not self.patron_path:
            return self.all().filter(pk=patron.pk)
        return self.all().filter(**{self.patron_lookup("pk"): patron.pk})

    def for_patron_export(self, patron) -> QuerySet:
        """What the patron's own data download shows of this kind."""
        qs = self.for_patron(patron)
        if self.patron_visible is not None:
            qs = qs.filter(self.patron_visible())
        return qs

    def linked(self) -> QuerySet:
        """Records still linked to a patron (anonymised ones are not); an applicant's
        records are all there is of them."""
        if not self.patron_path:
            return self.all()
        return self.all().filter(**{f"{self.patron_lookup()}__isnull": False})

    def active_q(self, now: datetime.datetime | None = None) -> Q:
        return self.active(now or timezone.now())

    def active_records(self, now: datetime.datetime | None = None) -> QuerySet:
        return self.linked().filter(self.active_q(now))

    def closed_records(self, now: datetime.datetime | None = None) -> QuerySet:
        """Linked records whose transaction is over, annotated with `closed_on`."""
        now = now or timezone.now()
        if self.closed is not None:
            qs = self.linked().filter(self.closed(now))
        else:
            qs = self.linked().exclude(self.active(now))
        if self.closed_at is not None:
            qs = qs.annotate(closed_on=self.closed_at())
        return qs

    def closed_before(self, cutoff: datetime.datetime, now=None) -> QuerySet:
        """Closed records whose retention counted from before `cutoff`, leaving out the
        ones the patron asked us to keep. (Legal holds are the retention engine's.)"""
        qs = self.closed_records(now).filter(closed_on__lte=cutoff)
        if self.kept_by_patron is not None:
            qs = qs.exclude(self.kept_by_patron())
        return qs

    def in_period(
        self,
        qs: QuerySet,
        start: datetime.datetime | None,
        end: datetime.datetime | None,
        now: datetime.datetime | None = None,
    ) -> QuerySet:
        """Records whose life overlaps [start, end]: begun by `end` and not closed before
        `start` (active records count as still open). Without `opened_at`, all of them."""
        now = now or timezone.now()
        if end is not None and self.opened_at is not None:
            qs = qs.annotate(opened_on=self.opened_at()).filter(opened_on__lte=end)
        if start is not None and self.closed_at is not None:
            qs = qs.annotate(closed_on=self.closed_at()).filter(
                self.active_q(now) | Q(closed_on__gte=start) | Q(closed_on__isnull=True)
            )
        return qs

    # -- expunge -----------------------------------------------------------------------

    def expunge_queryset(self, qs: QuerySet, now: datetime.datetime | None = None) -> int:
        """Delete these records and their audit trail; returns the count. Call it inside
        a transaction.

        The caller chooses the records (closed, past retention, not held); this only
        knows how. WITH_OWNER kinds go with their owner and are never expunged alone.
        """
        if self.expunge is Expunge.WITH_OWNER:
            raise RegistryError(f"Record kind {self.name!r} is expunged with its owner.")
        return self.expunge_ids(list(qs.values_list("pk", flat=True)), now)

    def expunge_ids(self, ids: list, now: datetime.datetime | None = None) -> int:
        """`expunge_queryset` for records already chosen by primary key.

        Every change and access entry about these records goes with them: an entry kept
        with the record's id and the moment of the activity could be matched against the
        patron's own entries. The deletion itself writes no entry per record; the run's
        counts are its record."""
        if self.expunge is Expunge.WITH_OWNER:
            raise RegistryError(f"Record kind {self.name!r} is expunged with its owner.")
        if not ids:
            return 0
        rows = self.model._default_manager.filter(pk__in=in_values(ids))
        deleted = delete_quietly(rows, ids)
        for model, pks in deleted.items():
            delete_trail(model, pks)
        return len(deleted.get(self.model, []))

    def ref_lookups(self) -> dict[str, str]:
        """{"patron": lookup, "item": lookup, ...}: what the expunge notes of a record
        (whose it was, which copy or program it touched)."""
        columns = dict(self.refs)
        if self.patron_path:
            columns["patron"] = self.patron_lookup("pk")
        return columns

    @staticmethod
    def refs_from(names: list[str], rows: Iterable[tuple]) -> dict[str, set]:
        """{name: the values of that column that are not None} of rows of `names`."""
        found: dict[str, set] = {name: set() for name in names}
        for row in rows:
            for name, value in zip(names, row, strict=True):
                if value is not None:
                    found[name].add(value)
        return found

    def refs_of(self, ids: list) -> dict[str, set]:
        """{"patron": {ids}, "item": {ids}, ...} of these records, for the expunge."""
        columns = self.ref_lookups()
        names = list(columns)
        if not ids or not columns:
            return {name: set() for name in names}
        rows = self.model._default_manager.filter(pk__in=in_values(ids)).values_list(
            *[columns[n] for n in names]
        )
        return self.refs_from(names, rows)

    # -- export ------------------------------------------------------------------------

    def export(self, record: models.Model, *, identity_only: bool = False) -> dict[str, Any]:
        """A plain dict of one record, for the patron's own download or a package."""
        names = self.identity_fields if identity_only else self.export_fields
        return {name: _export_value(record, name) for name in names}


def _export_value(record: models.Model, path: str) -> Any:
    value: Any = record
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
        if callable(value) and not isinstance(value, models.Model):
            value = value()
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


class Registry:
    def __init__(self) -> None:
        self._kinds: dict[str, RecordKind] = {}

    def register(self, kind: RecordKind) -> RecordKind:
        if kind.name in self._kinds:
            if self._kinds[kind.name].model is kind.model:
                return self._kinds[kind.name]  # a module imported twice
            raise RegistryError(f"Record kind {kind.name!r} is registered twice.")
        if any(k.model is kind.model for k in self._kinds.values()):
            raise RegistryError(f"{kind.model.__name__} is already a record kind.")
        if kind.retention is not None:
            register_rule(kind.retention)
        self._kinds[kind.name] = kind
        _register_with_auditlog(kind)
        return kind

    def __iter__(self) -> Iterator[RecordKind]:
        return iter(self._kinds.values())

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, name: str) -> bool:
        return name in self._kinds

    def get(self, name: str) -> RecordKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise RegistryError(f"No record kind named {name!r}.") from None

    def for_model(self, model: type[models.Model]) -> RecordKind | None:
        for kind in self._kinds.values():
            if kind.model is model or kind.model._meta.concrete_model is model:
                return kind
        return None

    @property
    def models(self) -> set[type[models.Model]]:
        return {kind.model for kind in self._kinds.values()}

    def holdable(self) -> list[RecordKind]:
        """Kinds a legal hold may name: every kind the expunge removes on its own (a card
        goes with the registration, so holding the registration holds the cards). A kind
        that reaches no patron (an applicant's) has nothing a hold on a patron can name."""
        return [
            kind for kind in self if kind.expunge is not Expunge.WITH_OWNER and kind.reaches_patron
        ]

    def names(self) -> list[str]:
        return list(self._kinds)

    def check_rules(self) -> None:
        """Every kind follows a retention rule that some app registered."""
        for kind in self._kinds.values():
            if (kind.policy_kind or kind.name) not in RULES_BY_KIND:
                raise RegistryError(f"Record kind {kind.name!r} has no retention rule.")


registry = Registry()


def _register_with_auditlog(kind: RecordKind) -> None:
    """Creates, changes and deletes of every record kind are audited: secrets excluded,
    personal data and free text masked, no serialized copy of the row, and each entry
    names the patron by id so that accesses and changes can be found per patron."""
    if auditlog.contains(kind.model):
        return
    auditlog.register(
        kind.model,
        exclude_fields=list(kind.audit_exclude),
        mask_fields=list(kind.audit_mask),
        serialize_data=False,
    )
    if not hasattr(kind.model, "get_additional_data"):
        name = kind.name

        def get_additional_data(self) -> dict:
            data = {"kind": name}
            patron_id = registry.get(name).patron_id_of(self)
            if patron_id is not None:
                data["patron"] = patron_id
            return data

        kind.model.get_additional_data = get_additional_data


def autodiscover() -> None:
    autodiscover_modules("records", register_to=None)
    # (checked once every app has spoken: a kind may follow another app's rule)
    registry.check_rules()


def has_active(kind_name: str, outer_ref: str = "pk", now=None) -> Exists:
    """`Exists(...)` of an active record of a kind for the patron at `outer_ref`."""
    kind = registry.get(kind_name)
    return Exists(
        kind.active_records(now).filter(**{kind.patron_lookup("pk"): OuterRef(outer_ref)})
    )
