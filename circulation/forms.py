"""Forms of the circulation desk pages."""

from django import forms

from .models import Branch, Fine, FinePayment
from .services.lost import MANUAL_REASONS


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


class PayAllForm(forms.Form):
    method = forms.ChoiceField(label="Paid by", choices=FinePayment.Method.choices)


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


class ProgramSignupForm(forms.Form):
    program = forms.ModelChoiceField(
        queryset=None, label="Sign up for", empty_label="Choose a program"
    )

    def __init__(self, *args, **kwargs):
        from django.utils import timezone

        from .models import Program

        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = (
            Program.objects.filter(ends_at__gt=timezone.now())
            .select_related("branch")
            .order_by("starts_at")
        )
        self.fields["program"].label_from_instance = lambda p: (
            f"{p.name} — {timezone.localtime(p.starts_at):%a %b %d, %I:%M %p} ({p.branch.name})"
        )


#: The reasons staff may pick for a charge added by hand (`services.fine_charge_manual`).
MANUAL_CHARGE_REASONS = [(reason.value, reason.label) for reason in MANUAL_REASONS]


class ChargeForm(forms.Form):
    reason = forms.ChoiceField(label="Reason", choices=MANUAL_CHARGE_REASONS)
    amount = forms.DecimalField(label="Amount", max_digits=8, decimal_places=2, min_value=0.01)
    note = forms.CharField(label="Note", max_length=100, required=False)


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
