"""The expunge from the staff site: "Run the expunge" (Privacy and audit) for the library
administrator — a dry-run preview first (counts per kind, nothing removed), then a real
run queued for the worker — and a run's counts as a table of kinds by what happened to
their records, in the kinds' staff names."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.admin_site import AdminPage
from core.refusals import Refused
from privacy import services
from privacy.models import ExpungeRun
from privacy.policy import RULES_BY_KIND
from privacy.registry import registry
from privacy.retention import AUDIT, SIDE_COPIES

#: The columns of a run's table: what happened to the records of a kind.
COLUMNS = (
    ("expunged", "Removed"),
    ("anonymised", "Unlinked from the patron"),
    ("held", "Kept (legal hold)"),
)
_OTHER_NAMES = {
    AUDIT: "Audit log entries past their retention",
    SIDE_COPIES: "Copies kept by the system (sessions, task results, sign-in attempts)",
    "disclosure_package": "Disclosure release packages",
}


def kind_name(name: str) -> str:
    """A kind's name as staff read it ("Loans", not "loan")."""
    if name in registry.names():
        return registry.get(name).label
    if name in _OTHER_NAMES:
        return _OTHER_NAMES[name]
    rule = RULES_BY_KIND.get(name)
    return rule.label if rule else name.replace("_", " ").capitalize()


def counts_table(counts: dict) -> dict:
    """{"columns": [...], "rows": [{"kind", "cells"}], "totals": [...]} for a run's counts
    (kinds in the order the run did them; a malformed entry shows as zeros)."""
    rows = []
    totals = [0 for _key in COLUMNS]
    for name, values in (counts or {}).items():
        values = values if isinstance(values, dict) else {}
        cells = []
        for index, (key, _label) in enumerate(COLUMNS):
            value = values.get(key, 0)
            value = value if isinstance(value, int) else 0
            totals[index] += value
            cells.append(value)
        rows.append({"kind": kind_name(name), "cells": cells, "any": any(cells)})
    return {"columns": [label for _key, label in COLUMNS], "rows": rows, "totals": totals}


@require_http_methods(["GET", "POST"])
def expunge_view(request):
    if not request.user.has_perm(services.RUN_EXPUNGE):
        raise PermissionDenied
    here = reverse("admin:privacy_expunge_now")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "preview":
                run = services.expunge_preview(actor=request.user)
                return redirect(f"{here}?preview={run.pk}")
            if action == "run":
                services.expunge_queue(actor=request.user)
                messages.success(
                    request,
                    "The expunge is queued: the worker runs it within a few minutes. Its "
                    "counts appear in the list of expunge runs when it has finished.",
                )
                return redirect(reverse("admin:privacy_expungerun_changelist"))
            raise services.ExpungeRefused("Choose to preview or to run the expunge.")
        except (Refused, PermissionDenied) as refusal:
            messages.error(request, str(refusal))
            return redirect(here)
    preview = None
    wanted = request.GET.get("preview", "")
    if wanted.isdigit():
        preview = ExpungeRun.objects.filter(pk=int(wanted), dry_run=True).first()
    context = {
        **admin.site.each_context(request),
        "title": "Run the expunge",
        "preview": preview,
        "table": counts_table(preview.counts) if preview else None,
        "last_run": ExpungeRun.objects.filter(dry_run=False, finished_at__isnull=False).first(),
    }
    return TemplateResponse(request, "admin/privacy/expunge_now.html", context)


admin.site.register_page(
    AdminPage("privacy", "expunge-now", "Run the expunge", expunge_view, services.RUN_EXPUNGE)
)
