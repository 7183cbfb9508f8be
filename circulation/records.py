"""Record kinds of the circulation app (docs/records.md), and what the expunge does to
the rows they pointed at once they are gone."""

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest

from patrons.access import register_purpose
from patrons.registry import Expunge, RecordKind, registry
from patrons.retention import register_after_run

from .counting import after_expunge
from .models import (
    ComputerSession,
    Fine,
    Hold,
    Loan,
    NoticePreference,
    NoticeSent,
    ProgramRegistration,
    Visit,
)


def _unsettled_fine_on_loan():
    return Exists(Fine.objects.filter(loan=OuterRef("pk"), settled_at__isnull=True))


def _loan_closed_at():
    # A loan closes when it is returned, or later when the last fine on it is settled.
    last_settled = Subquery(
        Fine.objects.filter(loan=OuterRef("pk"), settled_at__isnull=False)
        .order_by("-settled_at")
        .values("settled_at")[:1]
    )
    return Greatest(F("returned_at"), Coalesce(last_settled, F("returned_at")))


registry.register(
    RecordKind(
        name="loan",
        staff_name="Loans",
        patron_name="your loans",
        model=Loan,
        patron_path="patron",
        active=lambda now: Q(returned_at__isnull=True) | Q(_unsettled_fine_on_loan()),
        closed_at=_loan_closed_at,
        opened_at=lambda: F("checked_out_at"),
        expunge=Expunge.ANONYMISE,
        refs={"item": "item_id"},
        kept_by_patron=lambda: Q(patron__keep_reading_history=True),
        export_fields=(
            "item__title__title",
            "item__title__author",
            "item__barcode",
            "branch__name",
            "checked_out_at",
            "due_at",
            "returned_at",
            "renewals",
        ),
        material_fields=("item__title__title", "item__title__author", "item__barcode"),
    )
)

registry.register(
    RecordKind(
        name="hold",
        staff_name="Holds",
        patron_name="your holds",
        model=Hold,
        patron_path="patron",
        active=lambda now: Q(status__in=Hold.ACTIVE_STATUSES),
        closed_at=lambda: F("closed_at"),
        opened_at=lambda: F("placed_at"),
        expunge=Expunge.DELETE,
        refs={"item": "item_id"},
        export_fields=(
            "title__title",
            "title__author",
            "pickup_branch__name",
            "placed_at",
            "status",
            "pickup_by",
            "closed_at",
        ),
        material_fields=("title__title", "title__author"),
    )
)

registry.register(
    RecordKind(
        name="fine",
        staff_name="Fines and fees",
        patron_name="your fines and fees",
        model=Fine,
        patron_path="patron",
        active=lambda now: Q(settled_at__isnull=True),
        closed_at=lambda: F("settled_at"),
        opened_at=lambda: F("assessed_at"),
        expunge=Expunge.ANONYMISE,
        export_fields=(
            "reason",
            "amount",
            "amount_paid",
            "assessed_at",
            "waived_at",
            "settled_at",
            "loan__item__title__title",
        ),
        material_fields=("loan__item__title__title",),
        audit_mask=("waive_reason",),
    )
)

registry.register(
    RecordKind(
        name="program_registration",
        staff_name="Program sign-ups",
        patron_name="your program sign-ups",
        model=ProgramRegistration,
        patron_path="patron",
        active=lambda now: (
            Q(program__ends_at__gt=now) & ~Q(status=ProgramRegistration.Status.CANCELLED)
        ),
        closed_at=lambda: Coalesce(F("cancelled_at"), F("program__ends_at")),
        opened_at=lambda: F("registered_at"),
        expunge=Expunge.DELETE,
        refs={"program": "program_id"},
        export_fields=(
            "program__name",
            "program__branch__name",
            "program__starts_at",
            "status",
            "attended",
            "registered_at",
        ),
        material_fields=("program__name",),
    )
)

registry.register(
    RecordKind(
        name="visit",
        staff_name="Visits",
        patron_name="your visits",
        model=Visit,
        patron_path="patron",
        active=lambda now: Q(pk__in=[]),
        closed_at=lambda: F("visited_at"),
        opened_at=lambda: F("visited_at"),
        expunge=Expunge.DELETE,
        export_fields=("branch__name", "visited_at"),
    )
)

registry.register(
    RecordKind(
        name="notice_sent",
        staff_name="Notices sent",
        patron_name="the notices we sent you",
        model=NoticeSent,
        patron_path="patron",
        active=lambda now: Q(pk__in=[]),
        closed_at=lambda: F("day"),
        opened_at=lambda: F("day"),
        expunge=Expunge.DELETE,
        # Kept as briefly as a visit: erased at the nightly run after its day.
        policy_kind="visit",
        export_fields=("day", "kind", "ok"),
    )
)

registry.register(
    RecordKind(
        name="notice_preference",
        staff_name="Notice choices",
        patron_name="your choice of notices",
        model=NoticePreference,
        patron_path="patron",
        active=lambda now: Q(pk__isnull=False),
        closed_at=None,
        expunge=Expunge.WITH_OWNER,
        policy_kind="patron",
        export_fields=("courtesy", "card_expiry"),
    )
)

registry.register(
    RecordKind(
        name="computer_session",
        staff_name="Public computer sessions",
        patron_name="your computer sessions",
        model=ComputerSession,
        patron_path="patron",
        active=lambda now: Q(ended_at__isnull=True),
        closed_at=lambda: F("ended_at"),
        opened_at=lambda: F("started_at"),
        expunge=Expunge.DELETE,
        export_fields=("branch__name", "workstation", "started_at", "ended_at"),
    )
)

register_after_run("circulation_statistics", after_expunge)

# What each circulation page was for, in the words the patron reads on "who has looked".
for _page, _words in {
    "desk:checkout": "during a check-out",
    "desk:checkin": "during a check-in",
    "checkin": "during a check-in",
    "desk:renew": "to renew loans",
    "renew": "to renew loans",
    "desk:payment": "to take a payment",
    "desk:hold_shelf": "at the hold shelf",
    "admin:circulation.": "in the circulation records",
}.items():
    register_purpose(_page, _words)
