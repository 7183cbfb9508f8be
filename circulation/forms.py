"""Forms of the circulation desk pages."""

from django import forms

from .models import Branch


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


class PaymentForm(forms.Form):
    fine = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(label="Amount", max_digits=8, decimal_places=2, min_value=0.01)


class WaiveForm(forms.Form):
    fine = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason for waiving", max_length=200)


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
