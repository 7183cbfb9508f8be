"""The desk's "Visits and computers" page: record a door counter's daily total for the
branch, and start or end a public computer session (card scanned, computer named). The
open sessions list shows the computer and start time only, with the card's last four."""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods

from circulation import services
from circulation.desk.state import Desk, desk_context, handle_branch
from circulation.models import ComputerSession
from core.admin_site import AdminPage
from core.refusals import Refused
from privacy.access import log_access

PERMISSION = "circulation.add_visit"


def _post(request, desk: Desk) -> None:
    action = request.POST.get("action")
    branch = desk.branch
    if branch is None:
        messages.error(request, "Choose the branch you work at first.")
        return
    try:
        if action == "gate":
            raw = request.POST.get("day", "")
            try:
                day = datetime.date.fromisoformat(raw) if raw else timezone.localdate()
            except ValueError:
                raise Refused("Enter a date such as 2026-12-01.") from None
            total = services.gate_count_record(
                branch=branch, day=day, count=request.POST.get("count", ""), actor=request.user
            )
            messages.success(
                request, f"Gate count added: {total} visits on {date_format(day, 'M j')}."
            )
        elif action == "start":
            session = services.computer_session_start(
                card_number=request.POST.get("card_number", ""),
                branch=branch,
                workstation=request.POST.get("workstation", ""),
                actor=request.user,
            )
            log_access([session], request=request, page="desk:computers")
            messages.success(request, f"Session started on {session.workstation}.")
        elif action == "end":
            raw = request.POST.get("session", "")
            session = ComputerSession.objects.filter(
                pk=int(raw) if raw.isdigit() else 0, branch=branch
            ).first()
            if session is None:
                raise Refused("Choose a session from the list.")
            services.computer_session_end(session=session, actor=request.user)
            messages.success(request, f"Session on {session.workstation} ended.")
    except Refused as refusal:
        messages.error(request, f"{refusal.message} Nothing was changed.")


@require_http_methods(["GET", "POST"])
def visits_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    desk = Desk(request)
    if request.method == "POST":
        if not handle_branch(request, desk):
            _post(request, desk)
        return redirect(reverse("admin:circulation_visits"))
    sessions = []
    if desk.branch is not None:
        sessions = list(
            ComputerSession.objects.filter(branch=desk.branch, ended_at__isnull=True)
            .prefetch_related("patron__cards")
            .order_by("workstation")
        )
    log_access(sessions, request=request, page="desk:computers", access="listed")
    rows = []
    for session in sessions:
        active = [c for c in session.patron.cards.all() if c.status == "active"]
        rows.append({"session": session, "card": active[0].masked_number if active else "—"})
    context = desk_context(
        request, desk, "Visits and computers", rows=rows, today=timezone.localdate()
    )
    return TemplateResponse(request, "admin/circulation/desk/visits.html", context)


admin.site.register_page(
    AdminPage("circulation", "visits", "Visits and computers", visits_view, PERMISSION, order=-8)
)
