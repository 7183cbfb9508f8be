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

    def clean(self, value):
        value = super().clean(value)
        value = "".join(value.split())
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
