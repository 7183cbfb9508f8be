"""Read-only queries of circulation records. Anything shown to a patron goes through a
`*_for_patron` selector, so a view never builds its own query on another patron's data."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import time_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from circulation.models import Branch, Fine, Hold, Item, Loan, OpeningHours, ProgramRegistration
from circulation.models.policy import library_policy
from circulation.models.rules import rule_for
from circulation.models.transit import Transit

ZERO = Decimal("0.00")


def loans_for_patron(*, patron) -> QuerySet[Loan]:
    """The patron's current loans, oldest due first."""
    return (
        Loan.objects.filter(patron=patron, returned_at__isnull=True)
        .select_related("item__title", "branch")
        .order_by("due_at", "pk")
    )


def loan_for_patron(*, patron, loan_id) -> Loan:
    """One of the patron's current loans, or 404 (another patron's id included)."""
    return get_object_or_404(loans_for_patron(patron=patron), pk=loan_id)


def holds_for_patron(*, patron) -> QuerySet[Hold]:
    return (
        Hold.objects.filter(patron=patron, status__in=Hold.ACTIVE_STATUSES)
        .select_related("title", "pickup_branch", "item")
        .order_by("placed_at", "pk")
    )


def hold_for_patron(*, patron, hold_id) -> Hold:
    return get_object_or_404(holds_for_patron(patron=patron), pk=hold_id)


def fines_for_patron(*, patron) -> QuerySet[Fine]:
    return (
        Fine.objects.filter(patron=patron, settled_at__isnull=True)
        .select_related("loan__item__title")
        .order_by("assessed_at", "pk")
    )


def registrations_for_patron(*, patron) -> QuerySet[ProgramRegistration]:
    return (
        ProgramRegistration.objects.filter(patron=patron)
        .exclude(status=ProgramRegistration.Status.CANCELLED)
        .select_related("program__branch")
        .order_by("program__starts_at", "pk")
    )


def balance_for_patron(*, patron) -> Decimal:
    """What the patron owes: unpaid, unwaived fines."""
    total = Fine.objects.filter(patron=patron, settled_at__isnull=True).aggregate(
        owed=Coalesce(
            Sum(F("amount") - F("amount_paid")),
            Value(ZERO),
            output_field=DecimalField(max_digits=10, decimal_places=2),
        )
    )["owed"]
    return Decimal(total).quantize(Decimal("0.01"))


def hold_queue_position(*, hold: Hold) -> int:
    """1 for the first patron waiting for the title."""
    if hold.status != Hold.Status.PLACED:
        return 0
    ahead = Hold.objects.filter(
        title_id=hold.title_id, status=Hold.Status.PLACED, placed_at__lt=hold.placed_at
    ).count()
    return ahead + 1


def annotate_queue_position(holds: QuerySet[Hold], *, now=None) -> QuerySet[Hold]:
    """Adds `queue_position` in one query, for lists, and `suspended`: the hold waits in
    the queue but is passed over today (it keeps its place until `suspended_until`)."""
    ahead = (
        Hold.objects.filter(
            title_id=OuterRef("title_id"),
            status=Hold.Status.PLACED,
            placed_at__lt=OuterRef("placed_at"),
        )
        .order_by()
        .values("title_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return holds.annotate(
        queue_position=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1,
        suspended=suspended_today(now),
    )


def suspended_today(now=None) -> ExpressionWrapper:
    """True for a hold waiting in the queue that is passed over today: suspended until
    today or later (`not_suspended` below is the other side)."""
    return ExpressionWrapper(
        Q(status=Hold.Status.PLACED, suspended_until__gte=timezone.localdate(now)),
        output_field=BooleanField(),
    )


def history_for_patron(*, patron) -> QuerySet[Loan]:
    """Returned loans kept because the patron turned reading history on."""
    return (
        Loan.objects.filter(patron=patron, returned_at__isnull=False)
        .select_related("item__title")
        .order_by("-returned_at", "-pk")
    )


def history_loan_for_patron(*, patron, loan_id) -> Loan:
    return get_object_or_404(history_for_patron(patron=patron), pk=loan_id)


# -- the branches' published opening hours ---------------------------------------------------


def opening_hours_lines(hours: Iterable[OpeningHours]) -> list[str]:
    """A branch's opening hours as patrons read them, in the active language: consecutive
    weekdays with the same hours as one range, Monday first, then the weekdays the branch
    is closed ("Mon-Fri 10 a.m.-7 p.m.", "Sat 10 a.m.-4 p.m.", "Closed Sunday", with en
    dashes). Times in the language's TIME_FORMAT, weekday names from Django's catalog. No
    rows, no lines: such a branch counts as open every day (`library_calendar`) but
    publishes nothing."""
    week = {row.weekday: (row.opens, row.closes) for row in hours}
    lines = []
    first = 0
    while first < 7:
        if first not in week:
            first += 1
            continue
        last = first
        while week.get(last + 1) == week[first]:
            last += 1
        days = (
            WEEKDAYS_ABBR[first]
            if first == last
            else f"{WEEKDAYS_ABBR[first]}–{WEEKDAYS_ABBR[last]}"
        )
        opens, closes = week[first]
        lines.append(f"{days} {time_format(opens)}–{time_format(closes)}")
        first = last + 1
    closed = [day for day in range(7) if day not in week]
    if week and closed:
        # Start after an open day, so that Sunday and Monday read together.
        start = next(day for day in closed if (day - 1) % 7 in week)
        closed.sort(key=lambda day: (day - start) % 7)
        names = get_text_list([str(WEEKDAYS[day]) for day in closed], _("and"))
        lines.append(_("Closed %(days)s") % {"days": names})
    return lines


def branches_with_hours() -> list[tuple[Branch, list[str]]]:
    """Every branch by name, with its published opening hours (two queries)."""
    branches = Branch.objects.order_by("name").prefetch_related("hours")
    return [(branch, opening_hours_lines(branch.hours.all())) for branch in branches]


# -- for the SIP2 server (sip2/) -------------------------------------------------------------


def item_by_barcode(*, barcode: str) -> Item | None:
    """One copy by its barcode, with its title and branch, or None."""
    code = (barcode or "").strip()
    if not code:
        return None
    return Item.objects.select_related("title", "branch").filter(barcode=code).first()


def open_loan_for_item(*, item: Item) -> Loan | None:
    return Loan.objects.filter(item=item, returned_at__isnull=True).first()


def holds_queued_for_title(*, title_id: int) -> int:
    """How many patrons wait in the queue for a title (never who)."""
    return Hold.objects.filter(title_id=title_id, status=Hold.Status.PLACED).count()


def waiting_hold_for_item(*, item: Item) -> Hold | None:
    return Hold.objects.filter(item=item, status=Hold.Status.WAITING).first()


def transit_destination(*, item: Item) -> Branch | None:
    """Where a copy in transit is going (a hold's pickup branch or its home), or None."""
    transit = (
        Transit.objects.filter(item=item, received_on__isnull=True)
        .select_related("to_branch")
        .first()
    )
    return transit.to_branch if transit is not None else None


def open_transit(*, item: Item) -> Transit | None:
    return Transit.objects.filter(item=item, received_on__isnull=True).first()


def transits_in_progress(*, branch: Branch | None = None, now=None) -> list[Transit]:
    """Copies in transit (to or from `branch`), oldest first, each with `overdue` set when
    it has travelled longer than the library policy's transit overdue days."""
    now = now or timezone.now()
    limit = timezone.localdate(now) - datetime.timedelta(days=library_policy().transit_overdue_days)
    rows = Transit.objects.filter(received_on__isnull=True).select_related(
        "item__title", "from_branch", "to_branch"
    )
    if branch is not None:
        rows = rows.filter(to_branch=branch) | rows.filter(from_branch=branch)
    rows = list(rows.order_by("sent_on", "pk"))
    for row in rows:
        row.overdue = row.sent_on < limit
    return rows


def in_transit_hold_for_item(*, item: Item) -> Hold | None:
    return Hold.objects.filter(item=item, status=Hold.Status.IN_TRANSIT).first()


def branch_by_code(*, code: str) -> Branch | None:
    code = (code or "").strip()
    return Branch.objects.filter(code__iexact=code).first() if code else None


def loan_limit_for(*, patron, branch_id: int | None = None) -> int:
    """How many items the patron may have out in all, by the circulation rules (the rule
    for the patron's category and any item type)."""
    branch_id = branch_id if branch_id is not None else patron.home_branch_id
    return rule_for(category=patron.category_id, item_type="", branch_id=branch_id).max_loans


def not_suspended(now: datetime.datetime) -> Q:
    """Holds that are not suspended today."""
    return Q(suspended_until__isnull=True) | Q(suspended_until__lt=timezone.localdate(now))


def holds_to_pull(*, branch: Branch, now: datetime.datetime | None = None):
    """Placed holds whose target copy sits on this branch's shelves, by call number."""
    now = now or timezone.now()
    return (
        Hold.objects.filter(
            not_suspended(now),
            status=Hold.Status.PLACED,
            item__branch=branch,
            item__status=Item.Status.AVAILABLE,
        )
        .select_related("item__title", "pickup_branch")
        .order_by("item__call_number", "item__title__call_number", "item__barcode")
    )
