"""The desk home: the first page circulation staff see after signing in, with the day's
work (check out, check in, renew, the hold shelf, payments, finding or registering a
patron) one click away, and the counts that say what needs doing: the holds to pull at
the desk's branch ("Working at") first."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from circulation.desk.state import Desk
from circulation.models import Hold, Item
from circulation.selectors import holds_to_pull
from core.admin_site import AdminPage

PERMISSION = "circulation.view_loan"


# -- selectors (counts only: no patron is named on this page) --------------------------------


def holds_waiting_count() -> int:
    """Holds whose copy is on the hold shelf, waiting for the patron."""
    return Hold.objects.filter(status=Hold.Status.WAITING).count()


def pickups_expiring_today_count(*, now: datetime.datetime | None = None) -> int:
    """Waiting holds whose pickup deadline falls before the end of today (library time)."""
    now = timezone.localtime(now)
    end = datetime.datetime.combine(
        now.date() + datetime.timedelta(days=1), datetime.time.min, tzinfo=now.tzinfo
    )
    return Hold.objects.filter(status=Hold.Status.WAITING, pickup_by__lt=end).count()


def holds_to_fill_count() -> int:
    """Holds placed and not yet filled by a copy (the holds to pull when a copy is in)."""
    return Hold.objects.filter(status=Hold.Status.PLACED).count()


def holds_to_pull_count(*, branch) -> int:
    """Copies on this branch's shelves that placed holds want (the Holds to pull page)."""
    return holds_to_pull(branch=branch).count()


def items_in_transit_count() -> int:
    return Item.objects.filter(status=Item.Status.IN_TRANSIT).count()


# -- the page ---------------------------------------------------------------------------------

#: (url name, label, what it is for, permission)
ACTIONS = (
    ("admin:circulation_checkout", "Check out", "Lend items to a patron", "circulation.add_loan"),
    ("admin:circulation_checkin", "Check in", "Returns and holds", "circulation.change_loan"),
    ("admin:circulation_renew", "Renew", "Extend a patron's loans", "circulation.change_loan"),
    (
        "admin:circulation_hold_shelf",
        "Hold shelf",
        "Holds waiting for pickup, expired pickups",
        "circulation.change_hold",
    ),
    (
        "admin:circulation_holds_to_pull",
        "Holds to pull",
        "Copies on this branch's shelves that holds want",
        "circulation.change_hold",
    ),
    ("admin:circulation_payment", "Take payment", "Fines and fees", "circulation.change_fine"),
    (
        "admin:patrons_patron_changelist",
        "Find a patron",
        "By card number or name",
        "patrons.view_patron",
    ),
    (
        "admin:patrons_patron_add",
        "Register a patron",
        "A new library card",
        "patrons.add_patron",
    ),
)


def desk_actions(user) -> list[dict]:
    actions = []
    for url_name, label, purpose, permission in ACTIONS:
        if not user.has_perm(permission):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:  # a page not installed in this build
            continue
        actions.append({"url": url, "label": label, "purpose": purpose})
    return actions


def desk_home_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    branch = Desk(request).branch
    pull = []
    if branch is not None and request.user.has_perm("circulation.change_hold"):
        pull = [
            (
                f"Holds to pull at {branch.name}",
                holds_to_pull_count(branch=branch),
                "admin:circulation_holds_to_pull",
            )
        ]
    counts = [
        *pull,
        ("On the hold shelf", holds_waiting_count(), "admin:circulation_hold_shelf"),
        ("Pickups expiring today", pickups_expiring_today_count(), "admin:circulation_hold_shelf"),
        ("Holds waiting for a copy", holds_to_fill_count(), ""),
        ("Items in transit", items_in_transit_count(), ""),
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Desk",
        "today": timezone.localdate(),
        "actions": desk_actions(request.user),
        "counts": [
            {"label": label, "count": n, "url": reverse(url) if url else ""}
            for label, n, url in counts
        ],
    }
    return TemplateResponse(request, "admin/circulation/desk_home.html", context)


admin.site.register_page(
    AdminPage("circulation", "desk", "Desk", desk_home_view, PERMISSION, order=-100)
)
