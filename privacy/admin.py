"""The staff admin of retention and legal holds: the days each kind is kept, the expunge
runs, and legal holds, placed from a form of checkboxes of the registry's kinds (through
the service) and released by an action."""

from django import forms
from django.contrib import admin, messages
from django.template.loader import render_to_string

from core.admin_site import ServiceAdmin
from core.refusals import Refused
from privacy import services
from privacy.access import AccessAuditedAdmin
from privacy.admin_patrons import PatronShownByCard, shown_by_card
from privacy.expunge_page import counts_table
from privacy.legal_holds import kind_choices
from privacy.models import ExpungeRun, LegalHold, RetentionPolicy
from privacy.policy import RULES_BY_KIND


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(ServiceAdmin, admin.ModelAdmin):
    list_display = ("record_kind", "days", "default_days", "updated_at")
    services = {RetentionPolicy: (services.retention_policy_save, None)}  # never deleted
    list_editable = ()
    fields = ("record_kind", "days", "default_days", "updated_at")
    readonly_fields = ("record_kind", "default_days", "updated_at")

    @admin.display(description="Record kind")
    def record_kind(self, obj):
        return str(obj)

    @admin.display(description="Default days")
    def default_days(self, obj):
        rule = RULES_BY_KIND.get(obj.kind)
        return rule.default_days if rule else "—"

    def has_add_permission(self, request):
        return False  # one row per record kind, created by migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExpungeRun)
class ExpungeRunAdmin(admin.ModelAdmin):
    """The runs of the expunge, each with its counts as a table (kinds by what happened to
    their records); "Run the expunge" (`privacy/expunge_page.py`) starts one."""

    list_display = ("__str__", "started_at", "finished_at", "dry_run", "trigger", "removed")
    list_filter = ("dry_run", "trigger")
    readonly_fields = ("started_at", "finished_at", "dry_run", "trigger", "counts_table")
    fields = readonly_fields
    change_list_template = "admin/privacy/expungerun/change_list.html"

    class Media:
        css = {"all": ("css/expunge.css",)}

    @admin.display(description="Removed or unlinked")
    def removed(self, obj) -> int:
        table = counts_table(obj.counts)
        return table["totals"][0] + table["totals"][1]

    @admin.display(description="Counts")
    def counts_table(self, obj):
        return render_to_string(
            "admin/privacy/expunge_counts.html",
            {"table": counts_table(obj.counts), "caption": "By kind of record"},
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_run_expunge": request.user.has_perm(services.RUN_EXPUNGE),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LegalHoldAddForm(forms.ModelForm):
    """A hold names kinds of the record registry, by checkbox; every kind by default."""

    every_kind = forms.BooleanField(
        required=False,
        initial=True,
        label="Every kind of record",
        help_text="Recommended. Holding more than a request names is safe; holding less is "
        "not. Also covers kinds of record added to the system later.",
    )
    kinds = forms.MultipleChoiceField(
        required=False,
        choices=kind_choices,
        widget=forms.CheckboxSelectMultiple,
        label="Or only these kinds",
        help_text="Used only when “Every kind of record” is not ticked.",
    )

    class Meta:
        model = LegalHold
        fields = ("patron", "covers_from", "covers_until", "reason", "reference")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("every_kind") and not cleaned.get("kinds"):
            self.add_error("kinds", "Tick the kinds of record to keep, or “Every kind of record”.")
        return cleaned


@admin.register(LegalHold)
class LegalHoldAdmin(PatronShownByCard, AccessAuditedAdmin, admin.ModelAdmin):
    """Holds are set by disclosure requests (or by hand, for litigation) through the
    service and released by the action; while unreleased, the expunge skips the records
    they cover. A hold is never edited."""

    form = LegalHoldAddForm
    list_display = (
        "__str__",
        "patron",
        "kinds_held",
        "covers_from",
        "reference",
        "set_at",
        "released_at",
    )
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("=patron__cards__number", "reference")
    search_help_text = "Scan the patron's card number, or search by reference."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron",)
    actions = ("release_selected",)
    add_fields = (
        "patron",
        "every_kind",
        "kinds",
        ("covers_from", "covers_until"),
        "reason",
        "reference",
    )
    change_fields = (
        "patron",
        "kinds_held",
        ("covers_from", "covers_until"),
        "reason",
        "reference",
        ("set_at", "set_by"),
        ("released_at", "released_by"),
    )

    @admin.display(description="Kinds of record kept")
    def kinds_held(self, obj):
        if obj is None or obj.every_kind or obj.kind_set_id is None:
            return "Every kind"
        labels = dict(kind_choices())
        return ", ".join(labels.get(name, name) for name in obj.kind_list)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else shown_by_card(self.change_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a hold is never edited, only released
            return [
                "patron_card",
                "kinds_held",
                "covers_from",
                "covers_until",
                "reason",
                "reference",
                "set_at",
                "set_by",
                "released_at",
                "released_by",
            ]
        return ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on a hold's page can be changed
        data = form.cleaned_data
        hold = services.legal_hold_place(
            patron=data["patron"],
            kinds=None if data.get("every_kind") else list(data["kinds"]),
            covers_from=data.get("covers_from"),
            covers_until=data.get("covers_until"),
            reason=data["reason"],
            reference=data.get("reference", ""),
            actor=request.user,
        )
        obj.pk = hold.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # no inlines; the service wrote everything

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Release selected legal holds", permissions=["change"])
    def release_selected(self, request, queryset):
        released = 0
        for hold in queryset:
            try:
                services.legal_hold_release(hold=hold, actor=request.user)
            except Refused as refusal:
                self.message_user(request, f"{hold}: {refusal.message}", messages.WARNING)
            else:
                released += 1
        if released:
            self.message_user(request, f"{released} legal holds released.", messages.SUCCESS)
