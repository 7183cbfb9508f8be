"""Forms of the disclosure register's admin pages."""

from django import forms

from disclosures.models import DisclosureRequest
from disclosures.services import disclosable_kinds
from privacy.registry import registry


def kind_choices():
    labels = {kind.name: kind.label for kind in registry}  # the staff's names
    return [(name, labels.get(name, name)) for name in disclosable_kinds()]


class _LegalBasisDetails(forms.Form):
    """The details of the legal basis a request records (and a pending one may complete)."""

    issuing_authority = forms.CharField(
        label="Issuing court or authority", max_length=200, required=False
    )
    case_number = forms.CharField(max_length=100, required=False)
    issued_on = forms.DateField(
        label="Date issued", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    document = forms.FileField(
        label="The court order or subpoena (scan or PDF)",
        required=False,
        help_text="Stored privately; only library administrators can open it.",
    )
    emergency_statement = forms.CharField(
        label="Written statement of the emergency",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    person_sought = forms.ChoiceField(
        label="The person sought is a",
        choices=[("", "—"), *DisclosureRequest.PersonSought.choices],
        required=False,
    )


class RecordRequestForm(_LegalBasisDetails):
    field_order = [
        "agency",
        "requester_name",
        "requester_id_number",
        "requester_contact",
        "legal_basis",
        "non_disclosure_order",
        "issuing_authority",
        "case_number",
        "issued_on",
        "document",
        "emergency_statement",
        "person_sought",
    ]

    agency = forms.CharField(label="Requesting agency", max_length=200)
    requester_name = forms.CharField(label="Officer or person's name", max_length=200)
    requester_id_number = forms.CharField(
        label="Badge or ID number", max_length=100, required=False
    )
    requester_contact = forms.CharField(
        label="Contact (phone or email)", max_length=200, required=False
    )
    legal_basis = forms.ChoiceField(
        label="Legal basis presented",
        choices=DisclosureRequest.Basis.choices,
        widget=forms.RadioSelect,
    )
    non_disclosure_order = forms.ChoiceField(
        label="Does a non-disclosure order come with it?",
        choices=DisclosureRequest.NonDisclosure.choices,
        widget=forms.RadioSelect,
        help_text="An order (or a letter) forbidding the library to tell the patron or anyone "
        "else about the request. Answer now: it decides how the public transparency page "
        "counts the request, and it cannot be changed later.",
    )
    card_numbers = forms.CharField(
        label="Card numbers of the patrons named",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line.",
        max_length=2000,
    )
    kinds = forms.MultipleChoiceField(
        label="Records asked for",
        choices=kind_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="An emergency request may ask for the patron's registration (identity) only.",
    )
    period_start = forms.DateField(
        label="Period from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label="Period to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document and document.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return document


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    reason = forms.CharField(
        label="Reason for the decision", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    patron_may_be_told = forms.BooleanField(
        label="The patron may be told (no non-disclosure order)", required=False
    )


class CompleteRequestForm(_LegalBasisDetails):
    """The details of the legal basis still missing on a pending request: only those
    fields are shown (`fields` names them)."""

    def __init__(self, *args, missing: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in missing:
                del self.fields[name]

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document and document.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return document

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in self.fields):
            raise forms.ValidationError("Fill in at least one of the missing details.")
        return data
