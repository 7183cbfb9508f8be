"""Terminal accounts in the admin, for the library administrator (Library administrator
role: the sip2 permissions are in its list in `staff/roles.py`).

The secret is generated, never typed: it is shown once, on the page that follows the
save, and only its hash is kept. The events list is read-only.
"""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse

from sip2 import services
from sip2.models import SortBin, Terminal, TerminalEvent

ALLOWED = [
    ("may_patron", "Patron status and information (PC reservation: validate card and PIN)"),
    ("may_circulate", "Circulation: check out, check in, renew, renew all (self-check kiosk)"),
    ("may_checkin", "Check-in only (book drop, sorter)"),
    ("may_pay", "Fee paid (take payments)"),
    ("may_block", "Block patron and patron enable (keep a card; lift only such blocks)"),
    ("may_hold", "Hold: place and cancel a patron's holds (with their PIN)"),
    ("may_update_items", "Item status update (RFID pads, sorters: accepted, nothing stored)"),
]

SHORT = {
    "may_patron": "patron information",
    "may_circulate": "circulation",
    "may_checkin": "check-in only",
    "may_pay": "fee paid",
    "may_block": "block/enable",
    "may_hold": "holds",
    "may_update_items": "item status",
}


class TerminalForm(forms.ModelForm):
    allowed = forms.MultipleChoiceField(
        choices=ALLOWED,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Allowed messages",
        help_text="Sign-in and status are always allowed. Tick only what the machine needs.",
    )
    new_secret = forms.BooleanField(
        required=False,
        label="Generate a new secret",
        help_text="The old secret stops working at once; the new one is shown once.",
    )

    class Meta:
        model = Terminal
        fields = ("name", "login", "branch", "enabled")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allowed"].initial = [
            name for name, _ in ALLOWED if getattr(self.instance, name, False)
        ]
        if self.instance.pk is None:
            del self.fields["new_secret"]

    def clean(self):
        cleaned = super().clean()
        for name, _ in ALLOWED:
            setattr(self.instance, name, name in cleaned.get("allowed", []))
        return cleaned


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    form = TerminalForm
    list_display = ("name", "login", "branch", "enabled", "allowed_messages")
    list_filter = ("enabled", "branch")
    search_fields = ("name", "login")
    readonly_fields = ("created_at", "secret_set_at")
    fields = (
        "name",
        "login",
        "branch",
        "allowed",
        "enabled",
        "new_secret",
        "created_at",
        "secret_set_at",
    )

    @admin.display(description="Allowed messages")
    def allowed_messages(self, obj) -> str:
        """Every switch that is on, in a few words (sign-in and status always are)."""
        return ", ".join(SHORT[name] for name, _ in ALLOWED if getattr(obj, name)) or "—"

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None:
            fields = [f for f in fields if f not in ("new_secret", "created_at", "secret_set_at")]
        return fields

    def save_model(self, request, obj, form, change):
        secret = services.terminal_save(
            terminal=obj,
            actor=request.user,
            new_secret_wanted=bool(form.cleaned_data.get("new_secret")),
        )
        request._sip2_secret = secret  # shown on the next page, never stored

    def delete_model(self, request, obj):
        services.terminal_delete(terminal=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for terminal in queryset:
            services.terminal_delete(terminal=terminal, actor=request.user)

    def _secret_page(self, request, obj, response):
        secret = getattr(request, "_sip2_secret", None)
        if not secret:
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": f"Secret for {obj.name}",
            "terminal": obj,
            "secret": secret,
            "opts": self.model._meta,
        }
        page = TemplateResponse(request, "admin/sip2/terminal/secret.html", context)
        page["Cache-Control"] = "no-store"
        return page

    def response_add(self, request, obj, post_url_continue=None):
        return self._secret_page(request, obj, super().response_add(request, obj))

    def response_change(self, request, obj):
        return self._secret_page(request, obj, super().response_change(request, obj))


@admin.register(SortBin)
class SortBinAdmin(admin.ModelAdmin):
    """Which sorter bin a checked-in copy goes to at each branch (CL in SIP2 answers)."""

    list_display = ("branch", "route", "destination", "item_type", "bin")
    list_filter = ("branch", "route")
    fields = ("branch", "route", "destination", "item_type", "bin")

    def save_model(self, request, obj, form, change):
        services.sort_bin_save(sort_bin=obj, actor=request.user)

    def delete_model(self, request, obj):
        services.sort_bin_delete(sort_bin=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for sort_bin in queryset:
            services.sort_bin_delete(sort_bin=sort_bin, actor=request.user)


@admin.register(TerminalEvent)
class TerminalEventAdmin(admin.ModelAdmin):
    list_display = ("at", "terminal", "kind", "message_code", "address")
    list_filter = ("kind", "terminal")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
