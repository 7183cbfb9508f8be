"""The shelf check's forms: start a session, scan a barcode, upload a file."""

from django import forms

from circulation.models import Branch, Item


class StartForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=Branch.objects.all(), empty_label=None)
    call_number_from = forms.CharField(label="Call numbers from", max_length=50, required=False)
    call_number_to = forms.CharField(label="to", max_length=50, required=False)
    item_type = forms.ChoiceField(
        label="Collection",
        choices=[("", "Every type of copy"), *Item.ItemType.choices],
        required=False,
    )


class ScanForm(forms.Form):
    barcode = forms.CharField(
        max_length=64,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "inputmode": "text"}
        ),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File of barcodes",
        help_text="A text file with one barcode a line, or a CSV whose first column is "
        "the barcode.",
    )
