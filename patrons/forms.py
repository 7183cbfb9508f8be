"""Forms of the patron portal (sign-in, PIN, privacy choices, lost card, PIN reset)."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patrons.models import Patron
from patrons.pins import pin_problem
from patrons.signup import required_fields, signup_fields

PIN_HELP = _(
    "4 to 12 digits. Not all the same digit, not a run like 1234, "
    "and not the end of your card number."
)


class PortalLoginForm(forms.Form):
    card_number = forms.CharField(
        label=_("Library card number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
        help_text=_("The 14 digits under the barcode on your card."),
    )
    pin = forms.CharField(
        label=_("PIN"),
        max_length=40,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class PinChangeForm(forms.Form):
    current_pin = forms.CharField(
        label=_("Current PIN"),
        max_length=40,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "inputmode": "numeric"}
        ),
    )
    new_pin = forms.CharField(
        label=_("New PIN"),
        max_length=40,
        strip=False,
        help_text=PIN_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )
    new_pin2 = forms.CharField(
        label=_("New PIN again"),
        max_length=40,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )

    def __init__(self, *args, patron, **kwargs):
        super().__init__(*args, **kwargs)
        self.patron = patron

    def clean_current_pin(self):
        pin = self.cleaned_data["current_pin"]
        if not self.patron.check_pin(pin):
            raise forms.ValidationError(gettext(gettext("That is not your current PIN.")))
        return pin

    def clean(self):
        cleaned = super().clean()
        new, again = cleaned.get("new_pin"), cleaned.get("new_pin2")
        if new is None:
            return cleaned
        card = self.patron.active_card
        problem = pin_problem(new, card.number if card else "")
        if problem:
            self.add_error("new_pin", problem)
        elif new != again:
            self.add_error("new_pin2", gettext("The two new PINs are not the same."))
        elif self.patron.check_pin(new):
            self.add_error("new_pin", gettext("Choose a PIN different from your current one."))
        return cleaned


CHECKED = ("on", "true", "1", "yes")


def _pin_field(label, **kwargs):
    return forms.CharField(
        label=label,
        max_length=40,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
        **kwargs,
    )


class PinResetRequestForm(forms.Form):
    card_number = forms.CharField(
        label=_("Library card number"),
        max_length=40,
        help_text=_("The 14 digits under the barcode on your card."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The address the library has for you."),
    )


class PinResetForm(forms.Form):
    card_number = forms.CharField(
        label=_("Library card number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    new_pin = _pin_field(_("New PIN"), help_text=PIN_HELP)
    new_pin2 = _pin_field(_("New PIN again"))

    def clean(self):
        cleaned = super().clean()
        new, again = cleaned.get("new_pin"), cleaned.get("new_pin2")
        if new is not None and again is not None and new != again:
            self.add_error("new_pin2", gettext("The two new PINs are not the same."))
        return cleaned


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(required=True, label=_("Yes, I understand"))

    def clean_confirm(self):
        # A confirmation is the ticked box itself, not any value that happens to be truthy.
        if str(self.data.get("confirm", "")).strip().lower() not in CHECKED:
            raise forms.ValidationError(gettext(gettext("Tick the box to confirm.")))
        return True


class ReadingHistoryForm(forms.Form):
    keep = forms.TypedChoiceField(
        choices=(("on", _("Keep my reading history")), ("off", _("Do not keep it"))),
        coerce=lambda value: value == "on",
        widget=forms.RadioSelect,
        label=_("Reading history"),
    )
    confirm = forms.BooleanField(required=False, label=_("Yes, erase my reading history now"))

    def clean_confirm(self):
        value = str(self.data.get("confirm", "")).strip().lower()
        if value and value not in (*CHECKED, "off", "false", "0", "no"):
            raise forms.ValidationError(gettext(gettext("Tick the box, or leave it empty.")))
        return value in CHECKED


class SignUpForm(forms.Form):
    """The online application: only the fields the library asks for (settings), and a
    honeypot field (`website`) that people never see and machines fill in."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send a link to confirm it. It is also how you can reset a PIN."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        help_text=_("As on your photo ID, for example 1990-04-23."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    address_line1 = forms.CharField(
        label=_("Street address"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = forms.CharField(
        label=_("Address, line 2"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    home_branch = forms.ModelChoiceField(
        label=_("Branch where you will collect your card"), queryset=None
    )
    language = forms.ChoiceField(label=_("Language of your notices"), choices=())
    #: The honeypot: hidden from people (and from screen readers), left empty by them.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        asked = set(signup_fields())
        required = required_fields()
        for name in list(self.fields):
            if name == "website":
                continue
            if name not in asked:
                del self.fields[name]
            else:
                self.fields[name].required = name in required
        if "home_branch" in self.fields:
            branch = Patron._meta.get_field("home_branch").related_model
            self.fields["home_branch"].queryset = branch.objects.order_by("name")
        if "language" in self.fields:
            self.fields["language"].choices = [("", "—"), *settings.LANGUAGES]

    def clean_birth_date(self):
        day = self.cleaned_data.get("birth_date")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(gettext("A date of birth cannot be in the future."))
        if day is not None and day < datetime.date(1900, 1, 1):
            raise forms.ValidationError(gettext("Check the year of your date of birth."))
        return day

    def details(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "website" and value not in (None,)
        }
