"""Forms of the circulation desk pages."""

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe

from circulation.models import Branch, Fine, FinePayment, Program
from circulation.services.lost import MANUAL_REASONS


class ScanField(forms.CharField):
    """A barcode or card number, typed or scanned (a scanner types it and presses Enter)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "autocomplete": "off",
                "autofocus": True,
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        )
        return attrs

    #: Characters dropped before checking (an ISBN is often typed with hyphens).
    ignore = ""

    def clean(self, value):
        value = super().clean(value)
        value = "".join(ch for ch in value if not ch.isspace() and ch not in self.ignore)
        if value and not value.isalnum():
            raise forms.ValidationError("A barcode has only letters and digits.")
        return value


class CardForm(forms.Form):
    card_number = ScanField(label="Card number", max_length=14)


class ItemForm(forms.Form):
    barcode = ScanField(label="Item barcode")


class DeskBranchForm(forms.Form):
    branch = forms.ModelChoiceField(
        queryset=Branch.objects.order_by("name"), label="Working at", empty_label=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # the list in one query (not a cursor read row by row)
            field = self.fields["branch"]
            field.choices = list(field.queryset.values_list("pk", "name"))


class PayAllForm(forms.Form):
    method = forms.ChoiceField(label="Paid by", choices=FinePayment.Method.choices)
    # Cash handed over, when it is more than the payment: the desk says the change due.
    tendered = forms.DecimalField(
        label="Cash tendered", max_digits=8, decimal_places=2, min_value=0.01, required=False
    )


class PaymentForm(PayAllForm):
    fine = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(label="Amount", max_digits=8, decimal_places=2, min_value=0.01)


class WaiveForm(forms.Form):
    fine = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(label="Reason for waiving", choices=Fine.WaiveReason.choices)
    note = forms.CharField(label="Note", max_length=100, required=False)


class IsbnOrBarcodeField(ScanField):
    ignore = "-"


class HoldRequestForm(forms.Form):
    """A hold placed at the desk: scan any copy of the title, or type its ISBN."""

    wanted = IsbnOrBarcodeField(label="Place a hold", max_length=17)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The item field keeps the focus for scanning.
        self.fields["wanted"].widget.attrs.pop("autofocus", None)


class GroupedSelect(forms.Select):
    """A select of many options (with optgroups), written in one pass. Django's Select
    renders a template for every option: with the 200 programs of a large library that
    was most of the check-out page's time at every scan."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.empty_label = ""
        self.groups: list[tuple[str, list[tuple[object, str]]]] = []

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)

        def options(choices) -> str:
            return "".join(
                f'<option value="{escape(v)}"{" selected" if str(v) == chosen else ""}>'
                f"{escape(label)}</option>"
                for v, label in choices
            )

        parts = [f'<option value="">{escape(self.empty_label)}</option>']
        for group, choices in self.groups:
            if group:
                parts.append(f'<optgroup label="{escape(group)}">{options(choices)}</optgroup>')
            else:
                parts.append(options(choices))
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        # Every value and label above went through escape().
        return mark_safe(f"<select{flatatt(final)}>{''.join(parts)}</select>")  # noqa: S308


class ProgramSignupForm(forms.Form):
    """A program sign-up at the desk: every program not yet over, by branch (the desk's
    own first), soonest first."""

    program = forms.ModelChoiceField(
        queryset=None, label="Sign up for", empty_label="Choose a program", widget=GroupedSelect
    )

    def __init__(self, *args, branch=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        field.queryset = Program.objects.filter(ends_at__gt=timezone.now())
        if self.is_bound:
            return  # checking a choice: the list is not shown
        zone = timezone.get_current_timezone()
        groups: dict[tuple[bool, str], list] = {}  # (not the desk's branch, name): options
        rows = field.queryset.order_by("starts_at", "pk").values_list(
            "pk", "name", "starts_at", "branch_id", "branch__name"
        )
        for pk, name, starts_at, branch_id, branch_name in rows:
            when = date_format(starts_at.astimezone(zone), "D M j, g:i a")
            label = f"{name} — {when} ({branch_name})"
            groups.setdefault((branch_id != getattr(branch, "pk", None), branch_name), []).append(
                (pk, label)
            )
        field.widget.empty_label = field.empty_label
        field.widget.groups = [(key[1], groups[key]) for key in sorted(groups)]


#: The reasons staff may pick for a charge added by hand (`services.fine_charge_manual`).
MANUAL_CHARGE_REASONS = [(reason.value, reason.label) for reason in MANUAL_REASONS]


class ChargeForm(forms.Form):
    """A charge added by hand: a reason from the list (none is chosen in advance), the
    amount, and a note (which "Other" needs: `services.fine_charge_manual` says so, as for
    a waiver). Each error says what to fix."""

    reason = forms.ChoiceField(
        label="Reason",
        choices=MANUAL_CHARGE_REASONS,
        error_messages={
            "required": "Choose a reason for the charge.",
            "invalid_choice": "Choose a reason for the charge from the list.",
        },
    )
    amount = forms.DecimalField(
        label="Amount",
        max_digits=8,
        decimal_places=2,
        min_value=0.01,
        error_messages={
            key: "Enter an amount such as 2.50."
            for key in (
                "required",
                "invalid",
                "min_value",
                "max_digits",
                "max_decimal_places",
                "max_whole_digits",
            )
        },
    )
    note = forms.CharField(
        label="Note",
        max_length=100,
        required=False,
        error_messages={"max_length": "Keep the note under 100 characters."},
    )

    def refusal(self) -> str:
        """The first error, in the order of the fields."""
        return next(iter(self.errors.values()))[0]


class DeclareLostForm(forms.Form):
    barcode = ScanField(label="Item barcode")


class DeclareDamagedForm(forms.Form):
    barcode = ScanField(label="Item barcode")
    charge = forms.DecimalField(
        label="Charge the patron who has it or last had it",
        max_digits=8,
        decimal_places=2,
        min_value=0.01,
        required=False,
    )
    note = forms.CharField(label="Note", max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page's first field (declare lost) has the focus.
        self.fields["barcode"].widget.attrs.pop("autofocus", None)
