"""The retention bookkeeping: the days each kind is kept (`RetentionPolicy`), the reports
of each expunge run, and legal holds with the record kinds they name (which the database
checks against the registry's kinds).

The tables keep the names the patrons app gave them when these models were its own."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from privacy.policy import RULES_BY_KIND
from privacy.registry import registry


class RetentionPolicy(models.Model):
    """How many days a kind of record is kept after it closes. One row per kind."""

    kind = models.CharField(max_length=40, unique=True, editable=False)
    days = models.PositiveIntegerField(
        help_text="Days after the record closes before it is expunged. 0 = at the next run."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "patrons_retentionpolicy"  # the patrons app made it
        ordering = ["kind"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        """What staff call the kind (the public wording is the privacy page's)."""
        if self.kind in registry:
            return registry.get(self.kind).label
        rule = RULES_BY_KIND.get(self.kind)
        return rule.label if rule else self.kind


class ExpungeRun(models.Model):
    """One run of the expunge. Counts only: never a patron, a title or an id."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    trigger = models.CharField(max_length=20, default="manual")
    counts = models.JSONField(
        default=dict, blank=True, help_text='Per kind: {"loan": {"expunged": 3, ...}}'
    )

    class Meta:
        db_table = "patrons_expungerun"  # the patrons app made it
        ordering = ["-started_at"]
        permissions = [("run_expunge", "Can run the expunge now (and preview it)")]

    def __str__(self) -> str:
        return f"Expunge run #{self.pk}"


class RecordKindName(models.Model):
    """One row per record kind of the registry (`privacy.registry`), kept in step with it
    after every migrate (`privacy.legal_holds.sync_record_kind_names`). Legal holds name
    kinds through these rows, so the database refuses a kind that is not registered."""

    name = models.CharField(max_length=40, primary_key=True)
    label = models.CharField(max_length=100)

    class Meta:
        db_table = "patrons_recordkindname"  # the patrons app made it
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class RecordKindSet(models.Model):
    """A set of record kinds a legal hold names. Holds that name the same kinds share a
    set; a set reaches no patron (a child row per hold would be patron data itself)."""

    class Meta:
        db_table = "patrons_recordkindset"  # the patrons app made it
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Record kind set #{self.pk}"

    @property
    def names(self) -> list[str]:
        return sorted(self.members.values_list("kind_id", flat=True))


class RecordKindSetMember(models.Model):
    kind_set = models.ForeignKey(RecordKindSet, on_delete=models.CASCADE, related_name="members")
    kind = models.ForeignKey(
        RecordKindName, on_delete=models.PROTECT, related_name="+", db_column="kind"
    )

    class Meta:
        db_table = "patrons_recordkindsetmember"  # the patrons app made it
        ordering = ["kind_set", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind_set", "kind"],
                name="recordkindset_member_once",
                violation_error_message="A kind is named once in a set.",
            )
        ]

    def __str__(self) -> str:
        return str(self.kind_id)

    def clean(self) -> None:
        if self.kind_id and self.kind_id not in [kind.name for kind in registry.holdable()]:
            raise ValidationError({"kind": f"{self.kind_id} is not a kind a legal hold can name."})


class LegalHold(models.Model):
    """Records named in a pending legal request must not be destroyed.

    A hold covers one patron's records: every kind (`every_kind`, the default, which
    also covers kinds registered later) or the kinds of its `kind_set`, closed on or
    after `covers_from` (empty: any date). Holding more than a request names is safe;
    holding less is not, so a record is held when its retention would end after the
    range began, and a set with no kinds in it holds every kind.
    """

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.PROTECT, related_name="legal_holds"
    )
    every_kind = models.BooleanField(
        "every kind of record",
        default=True,
        db_default=True,
        help_text="Keep every kind of the patron's records, including kinds added later.",
    )
    kind_set = models.ForeignKey(
        RecordKindSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="kinds of record",
    )
    covers_from = models.DateTimeField(null=True, blank=True)
    covers_until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    reference = models.CharField(
        max_length=100, blank=True, help_text="The request that set it, e.g. disclosure #12."
    )
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "patrons_legalhold"  # the patrons app made it
        ordering = ["-set_at", "pk"]
        indexes = [models.Index(fields=["patron", "released_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(covers_until__isnull=True)
                | Q(covers_from__isnull=True)
                | Q(covers_until__gte=models.F("covers_from")),
                name="legalhold_range_in_order",
                violation_error_message="The end of the range is before its start.",
            ),
            models.CheckConstraint(
                condition=Q(every_kind=True, kind_set__isnull=True)
                | Q(every_kind=False, kind_set__isnull=False),
                name="legalhold_every_kind_or_a_set",
                violation_error_message="A hold keeps every kind of record, or the kinds named.",
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold #{self.pk}"

    @property
    def kind_list(self) -> list[str]:
        """The kinds named; empty for a hold of every kind."""
        if self.every_kind or self.kind_set_id is None:
            return []
        return self.kind_set.names


class ErasureAction(models.TextChoices):
    HISTORY_OFF = "history_off", "Reading history turned off and erased"
    RECORD_ERASED = "record_erased", "One record erased"
    CARD_LOST = "card_lost", "Card reported lost"
    HOLD_RELEASED = "hold_released", "Legal hold released"
    RETENTION_CHANGED = "retention_changed", "Retention period changed"


class ErasureJournal(models.Model):
    """One erasure made ahead of the retention policy (a patron's erased reading history,
    a history entry removed, a card reported lost, a legal hold released, a retention
    period changed), kept only so that `manage.py restore` can make it again in a
    database restored from an older backup (docs/deployment.md, "Backups").

    It holds what repeating it needs and nothing else: the action, the record kind, an
    opaque id and the day; never a name, a title, a text or the moment. It is pruned with the
    backups: an entry older than the oldest backup kept is deleted."""

    Action = ErasureAction

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=20, choices=ErasureAction)
    kind = models.CharField(max_length=40, blank=True, help_text="The record kind, if any.")
    ref = models.BigIntegerField(help_text="The record's id (or the days, for a retention).")

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=[choice for choice in ErasureAction.values]),
                name="erasurejournal_action_known",
                violation_error_message="Unknown erasure action.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.ref}"


class RestorePending(models.Model):
    """Present while a database restored from a backup has not yet been brought up to
    date (the erasures since the backup made again, the expunge run as of now). The site,
    the worker and the SIP2 server refuse to start while a row exists."""

    backup_taken_at = models.DateTimeField()
    restored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["restored_at"]

    def __str__(self) -> str:
        return f"Restore of the backup of {self.backup_taken_at:%Y-%m-%d %H:%M}"
