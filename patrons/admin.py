"""The staff admin of the patrons app: the patron's page and list (cards, blocks and
categories are in `admin_cards.py`, retention and legal holds in `admin_privacy.py`).

The reading history is read-only here (staff may turn it off at the patron's request,
never on); every change goes through the services.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Prefetch, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from core.refusals import Refused
from patrons import (  # noqa: F401  (they register admins and pages)
    admin_cards,
    audit_reports,
    services,
)
from patrons.models import Card, Patron, SignUp
from privacy.access import AccessAuditedAdmin, log_access

#: Rows each list on the patron's page shows; the rest are a link away (the filtered list).
SHOWN_ROWS = 10


def day(value) -> str:
    """A date as people read it ("Mar. 3, 2027")."""
    return date_format(value, "DATE_FORMAT") if value else "—"


def moment(value) -> str:
    """A time in the library's time zone, as people read it ("Mar. 3, 2027, 2:05 p.m.")."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"


def cell(text, url: str | None = None, *, warn: bool = False, wrap: bool = False) -> dict:
    """A cell of a compact list: kept on one line unless `wrap` (free text)."""
    return {"text": text, "url": url, "warn": warn, "wrap": wrap}


def patron_by_card(patron) -> str:
    """A patron in a staff list of records: the card in use, masked ("card …0001"),
    linking to the patron's page. Lists load the cards with `cards_in_use(...)`."""
    cards = getattr(patron, "cards_in_use", None)
    if cards is None:
        label = patron.card_label
    else:
        label = f"card {cards[0].masked_number}" if cards else "no card in use"
    url = reverse("admin:patrons_patron_change", args=[patron.pk])
    return format_html('<a href="{}">{}</a>', url, label)


def cards_in_use(path: str = "patron") -> Prefetch:
    """The patron's active card, loaded for a whole list in one query (`patron_by_card`)."""
    return Prefetch(
        f"{path}__cards",
        queryset=Card.objects.filter(status=Card.Status.ACTIVE).order_by("pk"),
        to_attr="cards_in_use",
    )


def section(
    *, key: str, title: str, columns, rows, total: int, more_url: str | None, empty: str
) -> dict:
    """One compact list on the patron's page: its first rows, and a link to all of them."""
    return {
        "key": key,
        "title": title,
        "columns": columns,
        "rows": rows,
        "total": total,
        "more_url": more_url if total > len(rows) else None,
        "empty": empty,
    }


@admin.register(Patron)
class PatronAdmin(AccessAuditedAdmin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "last_name",
        "first_name",
        "category",
        "home_branch",
        "card_expires_on",
        "status",
    )
    list_display_links = ("__str__", "last_name")
    list_filter = ("status", "category", "home_branch", "keep_reading_history")
    # "=cards__number": a scanned card matches exactly, not as a substring.
    search_fields = ("=cards__number", "last_name", "first_name", "=email", "=phone")
    search_help_text = "Scan or type a full card number, or search by name, email or phone."
    list_select_related = ("home_branch",)
    show_full_result_count = False
    change_form_template = "admin/patrons/patron/change_form.html"
    readonly_fields = (
        "registered_at",
        "last_activity_at",
        "pin_changed_at",
        "pin_tools",
        "reading_history_state",
        "reading_history_how",
    )
    actions = ("turn_off_reading_history", "renew_registration")
    fieldsets = (
        ("Name", {"fields": (("first_name", "last_name"), "birth_date")}),
        (
            "Contact",
            {
                "fields": (
                    ("email", "language"),
                    "phone",
                    "address_line1",
                    "address_line2",
                    ("city", "postal_code"),
                )
            },
        ),
        (
            "Membership",
            {
                "fields": (
                    ("category", "home_branch"),
                    ("card_expires_on", "status"),
                    ("registered_at", "last_activity_at", "pin_changed_at"),
                    "pin_tools",
                )
            },
        ),
        (
            "Reading history",
            {
                "fields": (("reading_history_state", "reading_history_how"),),
                "description": "Only the patron turns it on: in the portal, or at the desk "
                "(Desk → Reading history) confirming with their PIN. At the patron's "
                "request, staff turn it off with the action “Turn off reading history at "
                "the patron's request” on the patron list.",
            },
        ),
    )

    def get_urls(self):
        from patrons.admin_accounts import account_urls

        return account_urls(self) + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            summary, sections, shown = self.patron_overview(request, obj)
            context.update(patron_summary=summary, patron_sections=sections, records_shown=shown)
            # The page's title names the card, not the patron (the browser keeps titles in
            # its history); the summary below names the patron.
            context["subtitle"] = obj.card_label.capitalize()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        from django.contrib.admin.utils import unquote

        patron = self.get_object(request, unquote(object_id))
        if patron is not None:
            label = patron.card_label.capitalize()
            extra_context = {"title": f"Change history: {label}", **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def patron_overview(self, request, patron: Patron) -> tuple[list, list, list]:
        """What a clerk reads first: (summary facts, compact lists, the records they show).
        Other apps' admins extend it with their own facts and lists."""
        now = timezone.now()
        today = timezone.localdate(now)
        cards = list(patron.cards.order_by("-issued_at", "-pk")[: SHOWN_ROWS + 1])
        active = next((c for c in cards if c.status == Card.Status.ACTIVE), None)
        blocks = list(
            patron.blocks.filter(lifted_at__isnull=True, starts_at__lte=now)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .order_by("-starts_at")
        )
        expired = patron.card_expires_on < today or patron.status != Patron.Status.ACTIVE
        summary = [
            {
                "label": "Card",
                "value": f"{active.masked_number}, active" if active else "No active card",
                "warn": active is None,
            },
            {
                "label": "Registration",
                "value": (
                    f"Expired on {day(patron.card_expires_on)}"
                    if patron.card_expires_on < today
                    else f"Expires on {day(patron.card_expires_on)}"
                )
                + (
                    ""
                    if patron.status == Patron.Status.ACTIVE
                    else f" ({patron.get_status_display()})"
                ),
                "warn": expired,
            },
            {
                "label": "Blocks",
                "value": "; ".join(
                    b.get_reason_display()
                    + (f" until {day(timezone.localdate(b.ends_at))}" if b.ends_at else "")
                    for b in blocks
                )
                or "None",
                "warn": bool(blocks),
            },
        ]
        card_rows = [
            [
                cell(c.masked_number),
                cell(c.get_status_display(), warn=c.status != Card.Status.ACTIVE),
                cell(day(timezone.localdate(c.issued_at))),
                cell(day(timezone.localdate(c.status_changed_at)) if c.status_changed_at else "—"),
            ]
            for c in cards[:SHOWN_ROWS]
        ]
        all_blocks = list(patron.blocks.order_by("-starts_at", "-pk")[:SHOWN_ROWS])
        block_count = len(all_blocks)
        if block_count == SHOWN_ROWS:
            block_count = patron.blocks.count()
        block_rows = [
            [
                cell(
                    b.get_reason_display(),
                    reverse("admin:patrons_patronblock_change", args=[b.pk]),
                    warn=b in blocks,
                ),
                cell(b.note or "—", wrap=True),
                cell(moment(b.starts_at)),
                cell(
                    f"Lifted {moment(b.lifted_at)}"
                    if b.lifted_at
                    else (f"Ends {moment(b.ends_at)}" if b.ends_at else "Until lifted")
                ),
            ]
            for b in all_blocks
        ]
        sections = [
            section(
                key="blocks",
                title="Blocks",
                columns=("Reason", "Note", "Since", "Ends"),
                rows=block_rows,
                total=block_count,
                more_url=reverse("admin:patrons_patronblock_changelist") + f"?patron={patron.pk}",
                empty="No blocks.",
            ),
            section(
                key="cards",
                title="Cards",
                columns=("Card", "Status", "Issued", "Status changed"),
                rows=card_rows,
                total=len(cards) if len(cards) <= SHOWN_ROWS else patron.cards.count(),
                more_url=reverse("admin:patrons_card_changelist") + f"?patron={patron.pk}",
                empty="No cards.",
            ),
        ]
        return summary, sections, [*cards[:SHOWN_ROWS], *all_blocks]

    def add_view(self, request, form_url="", extra_context=None):
        """ "Add patron" is the desk's registration form (a service, a card, a slip)."""
        from patrons.admin_accounts import register_view

        return register_view(self, request)

    def save_model(self, request, obj, form, change):
        from patrons.accounts import patron_update

        patron_update(patron=obj, changed=form.changed_data, actor=request.user)

    def delete_model(self, request, obj):
        raise PermissionError("Patrons leave through the expunge, never by a delete here.")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Renew the registration", permissions=["change"])
    def renew_registration(self, request, queryset):
        from patrons.accounts import registration_renew

        done = 0
        for patron in queryset:
            registration_renew(patron=patron, actor=request.user)
            done += 1
        self.message_user(
            request,
            f"Registration renewed for {done} patron{'s' if done != 1 else ''}, "
            f"until {queryset.first().card_expires_on if done == 1 else 'their new dates'}.",
            messages.SUCCESS,
        )

    @admin.display(description="PIN")
    def pin_tools(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        state = (
            "The patron must choose a new PIN at the next sign-in."
            if obj.pin_must_change
            else "Set by the patron."
        )
        url = reverse("admin:patrons_patron_temporary_pin", args=[obj.pk])
        replace = reverse("admin:patrons_patron_replace_card", args=[obj.pk])
        return format_html(
            '{} <a href="{}">Issue a temporary PIN…</a> · <a href="{}">Replace the card…</a>',
            state,
            url,
            replace,
        )

    @admin.display(description="Keep reading history")
    def reading_history_state(self, obj):
        return reading_history_state(obj) if obj else "—"

    @admin.display(description="Last changed")
    def reading_history_how(self, obj):
        return reading_history_description(obj) if obj else "—"

    @admin.action(
        description="Turn off reading history at the patron's request", permissions=["change"]
    )
    def turn_off_reading_history(self, request, queryset):
        """Asks for confirmation first: turning it off erases the kept history at once."""
        patrons = list(queryset.filter(keep_reading_history=True))
        if not patrons:
            self.message_user(
                request, "Reading history is already off for the selected patrons.", messages.INFO
            )
            return None
        if request.POST.get("confirm") != "yes":
            log_access(patrons, request=request, page="admin:patrons.patron:history_off")
            context = {
                **self.admin_site.each_context(request),
                "title": "Turn off reading history at the patron's request",
                "patrons": patrons,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/patrons/patron/reading_history_off.html", context
            )
        branch = desk_branch(request)
        erased = done = 0
        for patron in patrons:
            try:
                erased += services.reading_history_off_for_patron(
                    patron=patron, actor=request.user, branch=branch
                )
            except Refused as refusal:
                self.message_user(request, f"{patron}: {refusal.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                f"Reading history turned off for {done} patron{'s' if done != 1 else ''}; "
                f"{erased} kept loan{'s' if erased != 1 else ''} erased.",
                messages.SUCCESS,
            )
        return None


def desk_branch(request):
    """The branch the staff member works at (the desk's "Working at"), if chosen."""
    desk = request.session.get("calumet_desk", {})
    branch_id = desk.get("branch_id") if isinstance(desk, dict) else None
    if not branch_id:
        return None
    branch_model = Patron._meta.get_field("reading_history_branch").related_model
    return branch_model.objects.filter(pk=branch_id).first()


def reading_history_state(patron: Patron) -> str:
    """On or off, and what that means for the patron's returned loans."""
    if patron.keep_reading_history:
        since = patron.reading_history_changed_on
        return f"On, since {day(since)}" if since else "On"
    from privacy.registry import registry
    from privacy.retention import retention_days

    kept = [kind for kind in registry if kind.kept_by_patron is not None]
    if not kept:
        return "Off"
    parts = []
    for kind in kept:
        days = retention_days(kind.policy_kind or kind.name)
        when = (
            "once they are closed"
            if days == 0
            else f"{days} day{'s' if days != 1 else ''} after they are closed"
        )
        parts.append(f"returned {kind.staff_name.lower()} are deleted {when}")
    return "Off — " + "; ".join(parts)


def reading_history_description(patron: Patron) -> str:
    """How the reading history came to be on or off, as staff and the patron read it."""
    state = "on" if patron.keep_reading_history else "off"
    via = patron.reading_history_via
    if not via:
        return "Off (never turned on)." if state == "off" else "On."
    if via == "unrecorded":
        return "On since before the library recorded how it was turned on."
    when = (
        f" on {patron.reading_history_changed_on:%-d %B %Y}"
        if patron.reading_history_changed_on
        else ""
    )
    who = {
        "portal": "by the patron in the portal",
        "desk_pin": "at the desk, confirmed with the patron's PIN",
        "staff_request": "by staff at the patron's request",
    }[via]
    staff = (
        patron.get_reading_history_staff_role_display() if patron.reading_history_staff_role else ""
    )
    if staff:
        place = f", {patron.reading_history_branch.name}" if patron.reading_history_branch else ""
        who += f" ({staff}{place})"
    return f"Turned {state}{when} {who}."


@admin.register(SignUp)
class SignUpAdmin(admin.ModelAdmin):
    """Online applications waiting at the desk: find one by the reference the applicant
    gives (or the name), check identity, collect (the registration form, filled in)."""

    list_display = ("reference", "name", "applied", "confirmed", "collect")
    search_fields = ("=reference", "last_name", "first_name")
    list_filter = (("confirmed_at", admin.EmptyFieldListFilter),)
    ordering = ("-created_at",)
    actions = None
    fields = ("reference", "first_name", "last_name", "email", "created_at", "confirmed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Name")
    def name(self, obj):
        return obj.full_name

    @admin.display(description="Applied", ordering="created_at")
    def applied(self, obj):
        return moment(obj.created_at)

    @admin.display(description="Email confirmed", ordering="confirmed_at")
    def confirmed(self, obj):
        return moment(obj.confirmed_at) if obj.confirmed_at else "Not yet"

    @admin.display(description="")
    def collect(self, obj):
        if obj.confirmed_at is None:
            return "—"
        url = reverse("admin:patrons_patron_add") + f"?signup={obj.pk}"
        return format_html('<a href="{}">Check ID and issue the card</a>', url)

    def delete_model(self, request, obj):
        from patrons.signup import signup_discard

        signup_discard(signup=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        from patrons.signup import signup_discard

        for signup in queryset:
            signup_discard(signup=signup, actor=request.user)
