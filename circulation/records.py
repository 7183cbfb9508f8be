"""Record kinds of the circulation app (docs/records.md), and what the expunge does to
the rows they pointed at once they are gone."""

from auditlog.registry import auditlog
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_noop

from circulation.models import (
    Branch,
    BranchClosure,
    CirculationRule,
    ComputerSession,
    Fine,
    FinePayment,
    Hold,
    LibraryPolicy,
    Loan,
    NoticePreference,
    NoticeSent,
    OpeningHours,
    Program,
    ProgramRegistration,
    Visit,
)
from circulation.signals import stamp_touched
from privacy.access import purpose_of, register_purpose
from privacy.policy import AFTER_CLOSE, RetentionRule
from privacy.registry import Expunge, RecordKind, registry
from privacy.retention import register_after_run
from staff.roles import CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR, grant, perms


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
        retention=RetentionRule(
            order=10,
            kind="loan",
            label=gettext_noop("Loans (what you borrowed)"),
            default_days=0,
            active_while=gettext_noop("the item is checked out to you, or a fine on it is unpaid"),
            counted_from=AFTER_CLOSE,
            expunge_means=gettext_noop(
                "the loan is deleted. When you borrow, we add one to two counts: items of that "
                "type borrowed that day at that branch by patrons of your category, and times "
                "the title was borrowed that month. Those counts never name you. If you turn "
                "on reading history, we keep your returned loans for you until you turn it off "
                "or delete them"
            ),
        ),
        staff_name="Loans",
        patron_name=gettext_noop("your loans"),
        model=Loan,
        audit_mask=("override_note",),  # staff's free text: recorded as set, never read
        patron_path="patron",
        active=lambda now: Q(returned_at__isnull=True) | Q(_unsettled_fine_on_loan()),
        closed=lambda now: Q(returned_at__isnull=False) & ~Q(_unsettled_fine_on_loan()),
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
        retention=RetentionRule(
            order=20,
            kind="hold",
            label=gettext_noop("Holds (reserves)"),
            default_days=0,
            active_while=gettext_noop(
                "the hold is waiting in the queue, in transit, or on the hold shelf"
            ),
            counted_from=AFTER_CLOSE,
            expunge_means=gettext_noop("the hold is deleted"),
        ),
        staff_name="Holds (reserves)",
        patron_name=gettext_noop("your holds"),
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
        retention=RetentionRule(
            order=30,
            kind="fine",
            label=gettext_noop("Fines and fees"),
            default_days=0,
            active_while=gettext_noop("part of the amount is unpaid"),
            counted_from=AFTER_CLOSE,
            expunge_means=gettext_noop(
                "the fine is deleted; the library's accounts keep only the day's totals charged, "
                "paid and waived for each kind of charge"
            ),
        ),
        staff_name="Fines and fees",
        patron_name=gettext_noop("your fines and fees"),
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
        # Staff's free text: the audit log keeps that it changed, never what it says.
        audit_mask=("note", "waive_note"),
    )
)

registry.register(
    RecordKind(
        name="payment",
        staff_name=gettext_noop("Payments"),
        patron_name=gettext_noop("your payments"),
        model=FinePayment,
        patron_path="patron",
        # Kept while the fine it paid is unpaid in part, then as long as that fine.
        active=lambda now: Q(fine__settled_at__isnull=True, fine__isnull=False),
        closed_at=lambda: Greatest(F("taken_at"), Coalesce(F("fine__settled_at"), F("taken_at"))),
        opened_at=lambda: F("taken_at"),
        expunge=Expunge.ANONYMISE,
        policy_kind="fine",
        export_fields=("number", "kind", "amount", "method", "taken_at", "branch__name"),
    )
)

registry.register(
    RecordKind(
        name="program_registration",
        retention=RetentionRule(
            order=40,
            kind="program_registration",
            label=gettext_noop("Program sign-ups"),
            default_days=0,
            active_while=gettext_noop("until the program ends"),
            counted_from=AFTER_CLOSE,
            expunge_means=gettext_noop(
                "the sign-up is deleted; the program keeps only its attendance count"
            ),
        ),
        staff_name="Program sign-ups",
        patron_name=gettext_noop("your program sign-ups"),
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
        retention=RetentionRule(
            order=50,
            kind="visit",
            label=gettext_noop("Library visits (card scanned at the entrance)"),
            default_days=0,
            active_while=gettext_noop("never: a visit is closed as soon as it is recorded"),
            counted_from=gettext_noop("the visit"),
            expunge_means=gettext_noop(
                "the visit is deleted at the next nightly run; only the number of "
                "visits per branch per day is kept"
            ),
        ),
        staff_name="Library visits",
        patron_name=gettext_noop("your visits"),
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
        retention=RetentionRule(
            order=55,
            kind="notice_sent",
            label=gettext_noop("Notices sent to you (that a notice went out, not the message)"),
            default_days=30,
            active_while=gettext_noop("never: a notice is closed as soon as it is sent or fails"),
            counted_from=gettext_noop("the day the notice was sent"),
            expunge_means=gettext_noop(
                "the row saying which kind of notice went out that day, and whether it was "
                "delivered, is deleted. The message itself is never kept"
            ),
        ),
        staff_name=gettext_noop("Notices sent"),
        patron_name=gettext_noop("the notices we sent you"),
        model=NoticeSent,
        patron_path="patron",
        active=lambda now: Q(pk__in=[]),
        closed_at=lambda: F("day"),
        opened_at=lambda: F("day"),
        expunge=Expunge.DELETE,
        export_fields=("day", "kind", "ok"),
    )
)

registry.register(
    RecordKind(
        name="notice_preference",
        staff_name=gettext_noop("Notice choices"),
        patron_name=gettext_noop("your choice of notices"),
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
        retention=RetentionRule(
            order=60,
            kind="computer_session",
            label=gettext_noop("Public computer sessions"),
            default_days=0,
            active_while=gettext_noop("you are using the computer"),
            counted_from=gettext_noop("the end of the session"),
            expunge_means=gettext_noop(
                "the session is deleted; only the number of sessions and minutes of use per "
                "branch per day are kept"
            ),
        ),
        staff_name="Public computer sessions",
        patron_name=gettext_noop("your computer sessions"),
        model=ComputerSession,
        patron_path="patron",
        active=lambda now: Q(ended_at__isnull=True),
        closed_at=lambda: F("ended_at"),
        opened_at=lambda: F("started_at"),
        expunge=Expunge.DELETE,
        export_fields=("branch__name", "workstation", "started_at", "ended_at"),
    )
)

register_after_run("circulation_counts", stamp_touched)

# What each circulation page was for, in the words the patron reads on "who has looked".
for _page, _words in {
    "desk:checkout": gettext_noop("during a check-out"),
    "desk:checkin": gettext_noop("during a check-in"),
    "checkin": gettext_noop("during a check-in"),
    "desk:renew": gettext_noop("to renew loans"),
    "renew": gettext_noop("to renew loans"),
    "desk:payment": gettext_noop("to take a payment"),
    "desk:hold_shelf": gettext_noop("at the hold shelf"),
    "admin:circulation.": gettext_noop("in the circulation records"),
}.items():
    register_purpose(_page, _words)

# The library's policy and settings are no patron's record, but every change to them is
# audited, with the staff member who made it (their services, `services/library.py`). A
# program's counts are its sign-ups' to change.
auditlog.register(LibraryPolicy, exclude_fields=["updated_at"])
for _settings in (Branch, BranchClosure, OpeningHours, CirculationRule):
    auditlog.register(_settings)
auditlog.register(Program, exclude_fields=["registration_count", "attendance_count"])

# The desk pages that serve the patron in a transaction of theirs (a check-out, a return,
# a renewal, a payment, the hold shelf, a computer): what they write is the patron's own
# transaction, reduced with its records (docs/audit.md, "Transactions and looks").
for _page in (
    "desk:checkout",  # with its receipt (a search's matches are looks until one is picked)
    "desk:checkin",
    "checkin",
    "desk:renew",
    "renew",
    "desk:payment",  # the same
    "desk:hold_shelf",
    "desk:holds_to_pull",
    "desk:hold_slip",
    "desk:computers",
):
    register_purpose(_page, purpose_of(_page), serving=True)

# What each staff role may do with this app's records.
grant(
    CIRCULATION_STAFF,
    [
        *perms("circulation", "branch", "view"),
        *perms("circulation", "title", "view"),
        *perms("circulation", "item", "view"),
        *perms("circulation", "program", "view"),
        *perms("circulation", "circulationrule", "view"),
        *perms("circulation", "noticesent", "view"),
        *perms("circulation", "loan", "view", "add", "change"),
        *perms("circulation", "hold", "view", "add", "change"),
        *perms("circulation", "fine", "view", "change"),
        *perms("circulation", "finepayment", "view"),
        *perms("circulation", "programregistration", "view", "add", "change"),
        *perms("circulation", "visit", "view", "add"),
        *perms("circulation", "computersession", "view", "add", "change"),
        # Declare a copy lost at the desk (its borrower is charged; damaged needs a
        # librarian's change_item).
        "circulation.declare_item_lost",
    ],
)
grant(
    LIBRARIAN,
    [
        *perms("circulation", "title", "add", "change", "delete"),
        *perms("circulation", "item", "add", "change"),
        *perms("circulation", "program", "add", "change", "delete"),
        *perms("circulation", "visitcount", "view"),
        "circulation.waive_fine",
        "circulation.add_fine",  # a charge added by hand
        # Overrides at the desk, with a reason (circulation/services/overrides.py).
        "circulation.override_renewal_limit",
        "circulation.override_fine_limit",
        "circulation.override_hold_shelf",
        # Loan rules and closed days are the librarians': the library's calendar
        # and its rules matrix change with the season, not only with the administrator.
        *perms("circulation", "circulationrule", "add", "change", "delete"),
        *perms("circulation", "branchclosure", "view", "add", "change", "delete"),
    ],
)
grant(
    LIBRARY_ADMINISTRATOR,
    [
        *perms("circulation", "branch", "add", "change"),
        *perms("circulation", "openinghours", "view", "add", "change", "delete"),
        *perms("circulation", "librarypolicy", "view", "change"),
    ],
)
