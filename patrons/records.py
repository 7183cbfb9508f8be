"""Record kinds of the patrons app: the registration itself, cards and blocks."""

import datetime

from auditlog.registry import auditlog
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_noop

from patrons.models import Card, Patron, PatronBlock, PatronCategory, SignUp
from patrons.services import kept_history_erase
from privacy.access import register_purpose
from privacy.erasures import register_replay
from privacy.models import ErasureAction
from privacy.policy import RetentionRule
from privacy.registry import Expunge, RecordKind, registry

PATRON_IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "phone",
    "email",
)


def _patron_active(now) -> Q:
    """A registration is needed while the card is valid or any other record is active."""
    # The card works through its expiry day in the library's time zone.
    q = Q(card_expires_on__gte=timezone.localdate(now))
    for kind in registry:
        if kind.model is Patron or kind.expunge is Expunge.WITH_OWNER or not kind.reaches_patron:
            continue
        active = kind.active_records(now).filter(**{kind.patron_lookup("pk"): OuterRef("pk")})
        q |= Q(Exists(active))
    return q


def _patron_closed_at():
    """Retention counts from the later of the card's expiry and the last activity.

    A date cast to a timestamp is midnight UTC at the start of that day, hours before the
    card stops working at the end of its expiry day in the library's time zone. Two days
    are added so that, in any time zone, the count never starts before the card stopped
    working (it may start up to a day and a half later, which only keeps the record
    longer than promised, never shorter)."""
    return Greatest(
        ExpressionWrapper(
            Cast("card_expires_on", output_field=DateTimeField())
            + Value(datetime.timedelta(days=2)),
            output_field=DateTimeField(),
        ),
        # The last activity is kept as the start of its month: 32 days are added so the
        # count starts after the end of that month, never before the activity.
        Coalesce(
            ExpressionWrapper(
                F("last_activity_at") + Value(datetime.timedelta(days=32)),
                output_field=DateTimeField(),
            ),
            "registered_at",
        ),
    )


registry.register(
    RecordKind(
        name="patron",
        retention=RetentionRule(
            order=80,
            kind="patron",
            label=gettext_noop("Your registration (name, address, contact details, card)"),
            default_days=730,
            active_while=gettext_noop(
                "your card has not expired, or you have any active record with us"
            ),
            counted_from=gettext_noop("your card's expiry, with no activity since"),
            expunge_means=gettext_noop("your registration, cards and PIN are deleted"),
        ),
        staff_name="Registrations (name, address, contact details)",
        patron_name=gettext_noop("your registration"),
        model=Patron,
        patron_path="",
        active=_patron_active,
        closed_at=_patron_closed_at,
        expunge=Expunge.DELETE,
        export_fields=(
            *PATRON_IDENTITY_FIELDS,
            "home_branch__name",
            "category",
            "registered_at",
            "card_expires_on",
            "status",
            "keep_reading_history",
            "language",
        ),
        identity_fields=PATRON_IDENTITY_FIELDS,
        opened_at=lambda: F("registered_at"),
        # The search key is the names and phone again, folded (masked as they are).
        audit_exclude=("pin_hash", "pin_changed_at", "search_key"),
        audit_mask=PATRON_IDENTITY_FIELDS,
    )
)

registry.register(
    RecordKind(
        name="card",
        staff_name=gettext_noop("Library cards"),
        patron_name=gettext_noop("your library card"),
        model=Card,
        patron_path="patron",
        active=lambda now: Q(status=Card.Status.ACTIVE),
        closed_at=None,
        expunge=Expunge.WITH_OWNER,
        policy_kind="patron",
        opened_at=lambda: F("issued_at"),
        export_fields=("number", "issued_at", "status"),
        # The audit log keeps a card number's last four digits only.
        audit_mask=("number",),
    )
)

registry.register(
    RecordKind(
        name="patron_block",
        retention=RetentionRule(
            order=70,
            kind="patron_block",
            label=gettext_noop("Suspensions of borrowing privileges"),
            default_days=0,
            active_while=gettext_noop("the suspension is in force"),
            counted_from=gettext_noop("the end or lifting of the suspension"),
            expunge_means=gettext_noop("the suspension record is deleted"),
        ),
        staff_name="Suspensions of borrowing privileges",
        patron_name=gettext_noop("suspensions on your account"),
        model=PatronBlock,
        patron_path="patron",
        active=lambda now: (
            Q(lifted_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        ),
        closed_at=lambda: Coalesce(F("lifted_at"), F("ends_at")),
        opened_at=lambda: F("starts_at"),
        expunge=Expunge.DELETE,
        export_fields=("reason", "note", "starts_at", "ends_at", "lifted_at"),
        audit_mask=("note",),
    )
)

registry.register(
    RecordKind(
        name="signup",
        retention=RetentionRule(
            order=85,
            kind="signup",
            label=gettext_noop("An application for a card made online, not yet collected"),
            default_days=30,
            active_while=gettext_noop("never: it waits for you to collect your card"),
            counted_from=gettext_noop("the day you applied"),
            expunge_means=gettext_noop(
                "the application is deleted (collected at a desk, it becomes your registration)"
            ),
        ),
        staff_name="Online sign-ups not yet collected",
        patron_name=gettext_noop("your online application"),
        model=SignUp,
        # An applicant is no patron yet: nothing links it to one, and it is never in a
        # patron's download, a legal hold or a disclosure.
        patron_path=None,
        active=lambda now: Q(pk__in=[]),
        closed_at=lambda: F("created_at"),
        opened_at=lambda: F("created_at"),
        expunge=Expunge.DELETE,
        disclosable=False,
        export_fields=(
            "first_name",
            "last_name",
            "email",
            "birth_date",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "phone",
            "created_at",
            "confirmed_at",
        ),
        audit_mask=(
            "first_name",
            "last_name",
            "email",
            "birth_date",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "phone",
        ),
    )
)

# What each page of this app was for, in the words the patron reads on "who has looked".
for _page, _words in {
    "admin:patrons.": gettext_noop("in the patron records"),
    "admin:autocomplete": "",
    "admin:patron_access_report": gettext_noop("in the audit report on your record"),
    "admin:auditlog": gettext_noop("in the audit log"),
}.items():
    register_purpose(_page, _words)

# The categories are no patron's record, but every change to them is audited.
auditlog.register(PatronCategory)


# How `manage.py restore` makes the patrons' own erasures again in a database restored
# from an older backup (privacy.erasures).
def _replay_history_off(entry, now) -> None:
    patron = Patron.objects.filter(pk=entry.ref).first()
    if patron is None:
        return
    kept_history_erase(patron=patron, now=now)
    Patron.objects.filter(pk=patron.pk).update(keep_reading_history=False)


def _replay_card_lost(entry, now) -> None:
    Card.objects.filter(pk=entry.ref, status=Card.Status.ACTIVE).update(
        status=Card.Status.LOST, status_changed_at=entry.at
    )


register_replay(ErasureAction.HISTORY_OFF, _replay_history_off)
register_replay(ErasureAction.CARD_LOST, _replay_card_lost)
