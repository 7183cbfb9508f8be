"""What the circulation desk remembers between scans, in the staff member's session.

- `calumet_desk`: the branch the staff member works at ("Working at"). It is not patron
  data, lasts as long as the sign-in, and the audit log names this branch.
- `calumet_desk.<page>` (check-out, check-in, renew, payment): the transaction at that
  page, as a patron-state namespace of `privacy.sessions`: the card being served (an id)
  and the scan lines (item ids, short outcome texts and the slip to print for the copy,
  as a hold or transit id; never a title, name or card number), with refs to every
  patron, card and item they mention.

A transaction ends at "Done — next patron" (on every page at once), when another card is
served (on the other pages), `CALUMET_DESK_IDLE_MINUTES` after the last scan (checked on
every desk request; `privacy.sessions.scrub_stale_sessions` for sessions nobody reads),
at sign-out (Django's logout empties the session), and when the expunge touches
anything it refs (`privacy.sessions.scrub_sessions`).
"""

from __future__ import annotations

import datetime
import functools
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone

from circulation.desk.forms import DeskBranchForm
from circulation.models import Branch, Item
from circulation.models.lending import OverrideReason
from circulation.services.overrides import PERMISSIONS, roles_that_may
from patrons.models import Card
from privacy import sessions

SESSION_KEY = "calumet_desk"
#: The pages that keep a transaction; check-in and pull lines belong to no patron being served.
PAGES = ("checkout", "checkin", "renew", "payment", "pull")
PATRON_PAGES = ("checkout", "renew", "payment")
MAX_LINES = 30
_DESK_KEYS = ("branch_id", "branch_name")


#: The slips a scan line may link to: kind -> (URL name, the query's key, the link's text).
SLIPS = {
    "hold": ("admin:circulation_hold_slip", "hold", "Print the hold slip"),
    "transit": ("admin:circulation_transit_slip", "transit", "Print the transit slip"),
}


def slip_link(slip, *, back: str) -> dict:
    """The link to a line's slip (`slip_url`, `slip_label`), opened from the desk page
    `back` (its "Back to …" link returns there); empty when the line has none."""
    if not (isinstance(slip, list | tuple) and len(slip) == 2 and slip[0] in SLIPS):
        return {}
    name, key, label = SLIPS[slip[0]]
    query = urlencode({key: int(slip[1]), "from": back})
    return {"slip_url": f"{reverse(name)}?{query}", "slip_label": label}


#: The desk pages a slip is opened from, for the slip's "Back to …" link.
SLIP_BACK = {
    "checkin": ("admin:circulation_checkin", "Check in"),
    "hold_shelf": ("admin:circulation_hold_shelf", "the hold shelf"),
    "in_transit": ("admin:circulation_in_transit", "In transit"),
    "pull": ("admin:circulation_holds_to_pull", "Holds to pull"),
}


def batch_link(lines: list[dict], *, page: str) -> dict:
    """The link that prints every slip of a page's lines in one go (`batch_url`,
    `slip_count`), when there are at least two."""
    count = sum(1 for line in lines if line.get("slip_url"))
    if count < 2:
        return {}
    query = urlencode({"from": page})
    return {"batch_url": f"{reverse('admin:circulation_desk_slips')}?{query}", "slip_count": count}


def slip_back(request) -> dict:
    """A slip's way back to the desk page it was opened from (`?from=`), else the desk."""
    name, label = SLIP_BACK.get(request.GET.get("from", ""), ("admin:circulation_desk", "the desk"))
    return {"back_url": reverse(name), "back_label": label}


def idle_minutes() -> int:
    return settings.CALUMET_DESK_IDLE_MINUTES


class Desk:
    """The desk's memory in the staff session. Reading it drops what has gone idle."""

    def __init__(self, request) -> None:
        self.request = request
        self.session = request.session
        self.now = timezone.now()
        stored = self.session.get(SESSION_KEY)
        stored = stored if isinstance(stored, dict) else {}
        self.data = {key: stored[key] for key in _DESK_KEYS if key in stored}
        if stored != self.data:
            self.save()  # anything kept beside the branch by an earlier version goes
        for page in PAGES:
            self._state(page)

    def save(self) -> None:
        self.session[SESSION_KEY] = self.data

    # -- the branch ("Working at") ----------------------------------------------------------

    @functools.cached_property
    def branch(self) -> Branch | None:
        branch_id = self.data.get("branch_id")
        branch = Branch.objects.filter(pk=branch_id).first() if branch_id else None
        return branch or Branch.objects.order_by("name").first()

    def set_branch(self, branch: Branch) -> None:
        self.__dict__["branch"] = branch
        self.data["branch_id"] = branch.pk
        self.data["branch_name"] = branch.name  # the audit log names the desk's branch
        self.save()

    # -- the transaction at each page -------------------------------------------------------

    @staticmethod
    def key(page: str) -> str:
        return f"{SESSION_KEY}.{page}"

    def _state(self, page: str) -> dict | None:
        state = self.session.get(self.key(page))
        if state is None:
            return None
        if not sessions.is_namespace(state) or sessions.is_stale(state, now=self.now):
            del self.session[self.key(page)]
            return None
        return state

    def _write(self, page: str, state: dict) -> None:
        data = {k: v for k, v in state.items() if k not in (sessions.REFS, sessions.UNTIL)}
        lines = data.get("lines", [])
        refs = sessions.refs(
            patron=[data.get("patron"), *(pk for line in lines for pk in line.get("patrons", ()))],
            card=[data.get("card")],
            item=[line.get("item") for line in lines],
        )
        until = self.now + datetime.timedelta(minutes=idle_minutes())
        self.session[self.key(page)] = sessions.namespace(data, refs=refs, until=until)

    def card(self, page: str) -> Card | None:
        state = self._state(page)
        card_id = state.get("card") if state else None
        if not card_id:
            return None
        card = Card.objects.select_related("patron").filter(pk=card_id).first()
        if card is None:
            self.end(page)  # the card is gone: so is the transaction
        return card

    def serve(self, page: str, card: Card) -> None:
        """Serve this card at this page: a new transaction. What the other pages hold about
        anyone else ends (the desk serves one patron at a time)."""
        for other in PATRON_PAGES:
            state = self._state(other)
            if other == page or state is None:
                continue
            same = state.get("card") in (None, card.pk) and set(
                state[sessions.REFS].get("patron", ())
            ) <= {card.patron_id}
            if not same:
                self.end(other)
        self._write(page, {"card": card.pk, "patron": card.patron_id, "lines": []})

    def access_memory(self, page: str) -> dict:
        """When the page's access entry for the transaction's patron was last written,
        as `log_access(remembered=...)` takes it (empty when not known)."""
        state = self._state(page)
        at = state.get("access_at") if state else None
        if not at or not state.get("patron"):
            return {}
        return {(state["patron"], f"desk:{page}", "opened"): datetime.datetime.fromisoformat(at)}

    def keep_access_memory(self, page: str, memory: dict) -> None:
        """Keep the time `log_access` found or wrote for the transaction's patron (the
        idle time is not started again: looking at the page is not a scan)."""
        state = self._state(page)
        at = memory.get((state.get("patron"), f"desk:{page}", "opened")) if state else None
        if at is not None and state.get("access_at") != at.isoformat():
            self.session[self.key(page)] = {**state, "access_at": at.isoformat()}

    def touch(self, page: str) -> None:
        """Activity at the page without a scan line (a payment, a hold): the idle time
        starts again."""
        state = self._state(page)
        if state is not None:
            self._write(page, state)

    def add_line(
        self,
        page: str,
        *,
        barcode: str,
        ok: bool,
        text: str,
        item: Item | None = None,
        patrons=(),
        slip: tuple[str, int] | None = None,
        override: str = "",
    ) -> None:
        """A scan line. `item` (when the barcode is one) is kept by id; `patrons` are the
        patrons the line is about, for the refs (they are never shown); `slip` is the slip
        to print for the copy, as (kind, id) of `SLIPS`. A line that succeeds takes the
        override off the copy's earlier refused lines."""
        state = dict(self._state(page) or {})
        line = {"ok": ok, "text": text}
        if slip is not None and slip[0] in SLIPS:
            line["slip"] = [slip[0], int(slip[1])]
        if override:
            line["override"] = override  # a refusal staff with the role may override
        if item is not None:
            line["item"] = item.pk
        else:
            line["barcode"] = barcode[:32]
        patrons = sorted({pk for pk in patrons if pk})
        if patrons:
            line["patrons"] = patrons
        earlier = state.get("lines", [])
        if ok:
            # Done now (an override, a second try): the copy's earlier refusal offers no
            # override any more.
            key = ("item", item.pk) if item is not None else ("barcode", line["barcode"])
            earlier = [
                {k: v for k, v in e.items() if k != "override"} if e.get(key[0]) == key[1] else e
                for e in earlier
            ]
        state["lines"] = [line, *earlier][:MAX_LINES]
        self._write(page, state)

    def remember(self, page: str, key: str, value) -> None:
        """Add a value to a list the transaction keeps beside its lines (the payment page:
        the receipt numbers and the fines waived, for the receipt)."""
        state = dict(self._state(page) or {})
        if state:
            state[key] = [*state.get(key, []), value][-MAX_LINES:]
            self._write(page, state)

    def kept(self, page: str, key: str) -> list:
        state = self._state(page)
        return list(state.get(key, [])) if state else []

    def lines(self, page: str) -> list[dict]:
        """The page's lines for display, newest first; barcodes and titles looked up now."""
        state = self._state(page)
        lines = list(state.get("lines", [])) if state else []
        ids = {line["item"] for line in lines if line.get("item")}
        items = {
            pk: (barcode, title)
            for pk, barcode, title in Item.objects.filter(pk__in=ids).values_list(
                "pk", "barcode", "title__title"
            )
        }
        shown = []
        for line in lines:
            barcode, title = items.get(line.get("item"), (line.get("barcode", ""), ""))
            shown.append(
                {
                    "barcode": barcode,
                    "title": title,
                    "ok": line["ok"],
                    "text": line["text"],
                    "override": line.get("override", ""),
                    **slip_link(line.get("slip"), back=page),
                }
            )
        return shown

    def end(self, page: str | None = None) -> None:
        """End the transaction at one page, or at every page ("Done — next patron")."""
        for each in [page] if page else PAGES:
            self.session.pop(self.key(each), None)


# -- what every desk page shares --------------------------------------------------------------


def desk_context(request, desk: Desk, title: str, **extra) -> dict:
    branch = desk.branch
    if branch is not None and desk.data.get("branch_name") != branch.name:
        desk.set_branch(branch)
    return {
        **admin.site.each_context(request),
        "title": title,
        "desk_branch": branch,
        "branch_form": DeskBranchForm(initial={"branch": branch}),
        "idle_minutes": idle_minutes(),
        "opts": None,
        **override_context(request.user),
        **extra,
    }


def override_context(user) -> dict:
    """What a desk line needs to offer an override: the kinds this user may override, the
    reasons, and the role that may (for those who may not)."""
    may = [kind for kind, permission in PERMISSIONS.items() if user.has_perm(permission)]
    return {
        "may_override": [str(kind) for kind in may],
        "override_reasons": OverrideReason.choices,
        "override_roles": {str(kind): roles_that_may(kind) for kind in PERMISSIONS},
    }


def handle_branch(request, desk: Desk) -> bool:
    """A "Working at" post: change the desk's branch. True if the post was one."""
    if request.POST.get("action") != "branch":
        return False
    form = DeskBranchForm(request.POST)
    if form.is_valid():
        desk.set_branch(form.cleaned_data["branch"])
        messages.info(request, f"Now working at {form.cleaned_data['branch'].name}.")
    else:
        messages.error(request, "Choose a branch from the list.")
    return True


def handle_done(request, desk: Desk) -> bool:
    """ "Done — next patron": every page's transaction ends. True if the post was one."""
    if request.POST.get("action") != "done":
        return False
    desk.end()
    messages.success(request, "Done. Ready for the next patron.")
    return True
