"""Portal pages for circulation records: the patron's account, renewals, holds, programs,
reading history (the public catalog is `catalog.py`). Every record a page names is looked
up through a `*_for_patron` selector, so another patron's id is a 404; ids travel in POST
bodies."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from circulation import selectors, services
from circulation.models import Program, ProgramRegistration
from circulation.notices.jobs import notice_preferences_for, notice_preferences_set
from circulation.selectors.renewals import renewal_refusals
from core.refusals import Refused
from core.requests import posted_id
from patrons.portal import patron_required
from patrons.selectors import blocks_in_force, describe_block
from patrons.services import patron_language_set
from privacy.access import log_access
from privacy.selectors import retention_for


def _record_id(request, name: str) -> int:
    record_id = posted_id(request.POST.get(name, ""))
    if record_id is None:
        raise Http404
    return record_id


ACCOUNT_LOAN_FIELDS = (
    "item",
    "patron",
    "branch",
    "checked_out_at",
    "due_at",
    "returned_at",
    "renewals",
    "item__item_type",
    "item__title",
    "item__title__title",
    "item__title__author",
)


def _day_labels(format_string: str):
    """A function that writes a moment's local day in `format_string`, each day once:
    forty loans fall due on a handful of days."""
    labels: dict[datetime.date, str] = {}

    def label(moment: datetime.datetime) -> str:
        day = timezone.localdate(moment)
        if day not in labels:
            labels[day] = formats.date_format(day, format_string)
        return labels[day]

    return label


@patron_required
@require_safe
def account_view(request):
    patron = request.patron
    now = timezone.now()
    due_label = _day_labels(_("D, M j"))
    # Only what the page and the renewal verdicts read of each loan, its copy and title.
    loans = list(
        selectors.loans_for_patron(patron=patron)
        .select_related(None)
        .select_related("item__title")
        .only(*ACCOUNT_LOAN_FIELDS)
    )
    blocks = blocks_in_force(patron=patron, now=now)
    refusals = renewal_refusals(loans=loans, now=now, blocks=blocks, patron=patron)
    holds = list(selectors.annotate_queue_position(selectors.holds_for_patron(patron=patron)))
    fines = list(selectors.fines_for_patron(patron=patron))
    registrations = list(
        selectors.registrations_for_patron(patron=patron).filter(program__ends_at__gt=now)
    )
    log_access(
        [patron, *loans, *holds, *fines, *registrations, *blocks],
        request=request,
        patron=patron,
        page="portal:account",
    )
    context = {
        "patron": patron,
        "now": now,
        "loans": [
            {
                "loan": loan,
                "title": loan.item.title,
                "due": due_label(loan.due_at),
                "overdue": loan.due_at < now,
                "refusal": refusals.get(loan.pk),
            }
            for loan in loans
        ],
        "renewable": sum(1 for reason in refusals.values() if reason is None),
        "holds": holds,
        "fines": fines,
        "balance": sum((fine.balance for fine in fines), start=selectors.ZERO),
        "registrations": registrations,
        "blocks": [describe_block(b) for b in blocks],
        # Coming up and not signed up for: every sign-up of the patron's that is not
        # cancelled, for a program still to end, is in `registrations` already.
        "programs": Program.objects.filter(starts_at__gt=now)
        .exclude(pk__in=[registration.program_id for registration in registrations])
        .select_related("branch")
        .order_by("starts_at")[:5],
    }
    return render(request, "portal/account.html", context)


def _report(request, call, success: str) -> None:
    try:
        call()
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, success)


@patron_required
@require_POST
def renew_view(request):
    patron = request.patron
    loan = selectors.loan_for_patron(patron=patron, loan_id=_record_id(request, "loan"))
    notes = []

    def renew():
        notes.append(services.loan_renew(loan=loan, actor=patron).renewal_note)

    _report(request, renew, _("Renewed."))
    if notes and notes[0]:
        messages.info(request, _("This item was overdue: %(note)s.") % {"note": notes[0]})
    return redirect(reverse("portal:account"))


@patron_required
@require_POST
def renew_all_view(request):
    patron = request.patron
    renewed, refused, notes = 0, 0, []
    for loan in selectors.loans_for_patron(patron=patron):
        try:
            note = services.loan_renew(loan=loan, actor=patron).renewal_note
        except Refused:
            refused += 1
        else:
            renewed += 1
            if note:
                notes.append(note)
    text = ngettext("%(count)d item renewed.", "%(count)d items renewed.", renewed) % {
        "count": renewed
    }
    if refused:
        text += " " + ngettext(
            "%(count)d could not be renewed: see the reason beside it.",
            "%(count)d could not be renewed: see the reason beside each.",
            refused,
        ) % {"count": refused}
    messages.success(request, text) if renewed else messages.error(request, text)
    for note in notes:
        messages.info(request, _("An overdue item: %(note)s.") % {"note": note})
    return redirect(reverse("portal:account"))


@patron_required
@require_POST
def hold_cancel_view(request):
    patron = request.patron
    hold = selectors.hold_for_patron(patron=patron, hold_id=_record_id(request, "hold"))
    _report(request, lambda: services.hold_cancel(hold=hold, actor=patron), _("Hold cancelled."))
    return redirect(reverse("portal:account"))


@patron_required
@require_POST
def hold_suspend_view(request):
    """Suspend a hold until a date, or resume it (an empty date)."""
    patron = request.patron
    hold = selectors.hold_for_patron(patron=patron, hold_id=_record_id(request, "hold"))
    raw = request.POST.get("until", "").strip()
    try:
        until = datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, _("Enter a date such as 2027-01-31. Nothing was changed."))
        return redirect(reverse("portal:account"))
    done = (
        _("Hold suspended until %(date)s.") % {"date": date_format(until, _("F j"))}
        if until
        else _("Hold resumed.")
    )
    _report(request, lambda: services.hold_suspend(hold=hold, until=until, actor=patron), done)
    return redirect(reverse("portal:account"))


@patron_required
@require_http_methods(["GET", "POST"])
def notices_view(request):
    """The patron chooses which optional notices they get."""
    patron = request.patron
    if request.method == "POST":
        language = request.POST.get("language")
        if language is not None and language not in ("", *dict(settings.LANGUAGES)):
            messages.error(request, _("Choose a language from the list. Nothing was changed."))
            return redirect(reverse("portal:notices"))
        notice_preferences_set(
            patron=patron,
            courtesy=request.POST.get("courtesy") == "on",
            card_expiry=request.POST.get("card_expiry") == "on",
            actor=patron,
        )
        if language is not None:
            patron_language_set(patron=patron, language=language, actor=patron)
            # The confirmation below is already in the chosen language.
            translation.activate(language or translation.get_language_from_request(request))
        messages.success(request, _("Your notice choices are saved."))
        return redirect(reverse("portal:notices"))
    choice = notice_preferences_for(patron=patron)
    if choice.pk:
        log_access([choice], request=request, patron=patron, page="portal:notices")
    return render(
        request,
        "portal/notices.html",
        {
            "choice": choice,
            "has_email": bool(patron.email),
            "languages": settings.LANGUAGES,
            "patron_language": patron.language,
            # How long the note that a notice went out is kept: the privacy page's row.
            "notice_log": retention_for("notice_sent"),
        },
    )


@patron_required
@require_POST
def program_signup_view(request):
    patron = request.patron
    program = get_object_or_404(Program, pk=_record_id(request, "program"))

    def sign_up():
        registration = services.program_register(program=program, patron=patron, actor=patron)
        if registration.status == ProgramRegistration.Status.WAITLISTED:
            messages.info(request, _("The program is full: you are on the waiting list."))

    _report(request, sign_up, _("You are signed up for %(name)s.") % {"name": program.name})
    return redirect(reverse("portal:account"))


@patron_required
@require_POST
def program_cancel_view(request):
    patron = request.patron
    registration = get_object_or_404(
        selectors.registrations_for_patron(patron=patron), pk=_record_id(request, "registration")
    )
    _report(
        request,
        lambda: services.program_cancel_registration(registration=registration, actor=patron),
        _("Sign-up cancelled."),
    )
    return redirect(reverse("portal:account"))


@patron_required
@require_safe
def history_view(request):
    patron = request.patron
    if not patron.keep_reading_history:
        return render(request, "portal/history_off.html")
    page = Paginator(selectors.history_for_patron(patron=patron), 50).get_page(
        request.GET.get("page")
    )
    log_access(list(page.object_list), request=request, patron=patron, page="portal:history")
    return render(request, "portal/history.html", {"page": page})


@patron_required
@require_POST
def history_delete_view(request):
    patron = request.patron
    loan = selectors.history_loan_for_patron(patron=patron, loan_id=_record_id(request, "loan"))
    _report(
        request,
        lambda: services.history_entry_delete(loan=loan, actor=patron),
        _("Removed from your reading history."),
    )
    return redirect(reverse("portal:history"))
