"""The patron's admin page as circulation extends it: what the patron owes, has out and
has on hold, in the summary at the top and in compact lists (they change at the desk), and
the recent payment receipts, each of which the desk can print again."""

from decimal import Decimal

from django.contrib import admin
from django.db.models import Count, F, Max, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from circulation.models import Fine, FinePayment, Hold, Loan
from circulation.selectors import annotate_queue_position
from patrons.admin.patrons import SHOWN_ROWS, cell, day, moment, section
from patrons.admin.patrons import PatronAdmin as BasePatronAdmin
from patrons.models import Patron

admin.site.unregister(Patron)


def fine_for(fine: Fine) -> str:
    """What a fine is for, for staff: the copy's title and staff's note on the charge."""
    return (
        " — ".join(
            part for part in (fine.loan.item.title.title if fine.loan else "", fine.note) if part
        )
        or "—"
    )


def hold_state(hold: Hold) -> str:
    """A hold's state for staff; `hold` comes through `annotate_queue_position`."""
    if hold.suspended:
        return (
            f"Suspended until {day(hold.suspended_until)}, keeps its place "
            f"(number {hold.queue_position} in the queue)"
        )
    if hold.status == Hold.Status.PLACED:
        return f"{hold.get_status_display()}, number {hold.queue_position}"
    return hold.get_status_display()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _override_text(loan) -> str:
    """A staff override on the loan: what, why, by whom ("" when none)."""
    if not loan.override_kind:
        return ""
    who = loan.override_by.get_username() if loan.override_by else "staff"
    text = f"{loan.get_override_kind_display()} overridden by {who}: "
    text += loan.get_override_reason_display()
    return text + (f" ({loan.override_note})" if loan.override_note else "")


@admin.register(Patron)
class PatronAdmin(BasePatronAdmin):
    change_form_template = "admin/patrons/patron/change_form_with_desk.html"

    def patron_overview(self, request, patron):
        summary, sections, shown = super().patron_overview(request, patron)
        now = timezone.now()

        loans_now = Loan.objects.filter(patron=patron, returned_at__isnull=True)
        loan_counts = loans_now.aggregate(
            total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))
        )
        loans = list(
            loans_now.select_related(
                "item__title", "rule__patron_category", "override_by"
            ).order_by("due_at", "pk")[:SHOWN_ROWS]
        )
        holds_now = Hold.objects.filter(patron=patron, status__in=Hold.ACTIVE_STATUSES)
        hold_counts = holds_now.aggregate(
            total=Count("pk"), ready=Count("pk", filter=Q(status=Hold.Status.WAITING))
        )
        holds = list(
            annotate_queue_position(holds_now.select_related("title", "pickup_branch")).order_by(
                "placed_at", "pk"
            )[:SHOWN_ROWS]
        )
        fines_open = Fine.objects.filter(patron=patron, settled_at__isnull=True)
        fine_counts = fines_open.aggregate(
            total=Count("pk"),
            owed=Sum(F("amount") - F("amount_paid"), filter=Q(waived_at__isnull=True)),
        )
        fines = list(
            fines_open.select_related("loan__item__title").order_by("assessed_at", "pk")[
                :SHOWN_ROWS
            ]
        )
        owed = fine_counts["owed"] or Decimal("0.00")

        overdue = loan_counts["overdue"]
        ready = hold_counts["ready"]
        summary += [
            {
                "label": "Owes",
                "value": f"${owed:.2f}"
                + (f" ({_plural(fine_counts['total'], 'unpaid fine')})" if owed else ""),
                "warn": owed > 0,
            },
            {
                "label": "Loans",
                "value": f"{loan_counts['total']} checked out"
                + (f", {overdue} overdue" if overdue else ""),
                "warn": overdue > 0,
            },
            {
                "label": "Holds",
                "value": f"{hold_counts['total']} active"
                + (f", {ready} ready for pickup" if ready else ""),
                "warn": False,
            },
        ]
        ours = [
            section(
                key="loans",
                title="Loans",
                columns=("Title", "Barcode", "Checked out", "Due", "Renewals", "Rule", "Override"),
                rows=[
                    [
                        cell(
                            loan.item.title.title,
                            reverse("admin:circulation_loan_change", args=[loan.pk]),
                        ),
                        cell(loan.item.barcode),
                        cell(day(timezone.localdate(loan.checked_out_at))),
                        cell(
                            ("Overdue since " if loan.due_at < now else "")
                            + day(timezone.localdate(loan.due_at)),
                            warn=loan.due_at < now,
                        ),
                        cell(str(loan.renewals)),
                        cell(f"{loan.rule}: {loan.rule.scope}" if loan.rule else "Default rule"),
                        cell(_override_text(loan), warn=bool(loan.override_kind)),
                    ]
                    for loan in loans
                ],
                total=loan_counts["total"],
                more_url=reverse("admin:circulation_loan_changelist")
                + f"?patron={patron.pk}&returned_at__isnull=True",
                empty="Nothing checked out.",
            ),
            section(
                key="holds",
                title="Holds",
                columns=("Title", "Status", "Pick up at", "Placed", "Pick up by"),
                rows=[
                    [
                        cell(
                            hold.title.title,
                            reverse("admin:circulation_hold_change", args=[hold.pk]),
                        ),
                        cell(hold_state(hold), warn=bool(hold.suspended)),
                        cell(hold.pickup_branch.name),
                        cell(day(timezone.localdate(hold.placed_at))),
                        cell(day(timezone.localdate(hold.pickup_by)) if hold.pickup_by else "—"),
                    ]
                    for hold in holds
                ],
                total=hold_counts["total"],
                more_url=reverse("admin:circulation_hold_changelist")
                + f"?patron={patron.pk}&status__in={','.join(Hold.ACTIVE_STATUSES)}",
                empty="No holds.",
            ),
            section(
                key="fines",
                title="Unpaid fines",
                columns=("Reason", "For", "Assessed", "Amount", "Paid", "Owes"),
                rows=[
                    [
                        cell(
                            fine.get_reason_display(),
                            reverse("admin:circulation_fine_change", args=[fine.pk]),
                        ),
                        cell(fine_for(fine), wrap=True),
                        cell(day(timezone.localdate(fine.assessed_at))),
                        cell(f"${fine.amount:.2f}"),
                        cell(f"${fine.amount_paid:.2f}"),
                        cell(f"${fine.balance:.2f}"),
                    ]
                    for fine in fines
                ],
                total=fine_counts["total"],
                more_url=reverse("admin:circulation_fine_changelist")
                + f"?patron={patron.pk}&settled_at__isnull=True",
                empty="No unpaid fines.",
            ),
        ]
        payments, shown_payments = _payments(request, patron)
        ours.append(payments)
        return summary, ours + sections, [*shown, *loans, *holds, *fines, *shown_payments]


def _payments(request, patron) -> tuple[dict, list]:
    """The patron's receipts, latest first, for as long as their payments are kept (the
    expunge removes them with the fines they paid): each with "Print receipt" for staff
    who take payments. Returns the section and the payment rows it shows."""
    kept = FinePayment.objects.filter(patron=patron)
    receipts = list(
        kept.values("number")
        .annotate(
            taken_at=Min("taken_at"),
            total=Sum("amount"),
            methods=Count("method", distinct=True),
            method=Max("method"),
            branch=Max("branch__name"),
        )
        .order_by("-taken_at", "-number")[:SHOWN_ROWS]
    )
    total = kept.values("number").distinct().count()
    may_print = request.user.has_perm("circulation.change_fine")
    slip = reverse("admin:circulation_payment_receipt")
    rows = []
    for receipt in receipts:
        method = FinePayment.Method(receipt["method"]).label if receipt["methods"] == 1 else "—"
        row = [
            cell(receipt["number"]),
            cell(moment(receipt["taken_at"])),
            cell(receipt["branch"]),
            cell(str(method)),
            cell(f"${receipt['total']:.2f}"),
        ]
        if may_print:
            row.append(cell("Print receipt", f"{slip}?{urlencode({'receipt': receipt['number']})}"))
        rows.append(row)
    columns = ("Receipt", "Paid", "At", "Method", "Total")
    section_ = section(
        key="payments",
        title="Payments",
        columns=(*columns, "Slip") if may_print else columns,
        rows=rows,
        total=total,
        more_url=reverse("admin:circulation_finepayment_changelist") + f"?patron={patron.pk}",
        empty="No payments kept.",
    )
    shown = list(kept.filter(number__in=[r["number"] for r in receipts]))
    return section_, shown
