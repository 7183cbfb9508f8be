"""A second factor for staff sign-in to the admin (TOTP, with backup codes), through
django-otp. On when CALUMET_STAFF_2FA is (by default whenever debug is off).

After the password, a staff member with no device enrols (a QR code for an authenticator
app, then ten one-time backup codes); one with a device enters a code. Wrong codes count
towards the same django-axes lockout as wrong passwords.
"""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

BACKUP_CODES = 10


def required() -> bool:
    return settings.CALUMET_STAFF_2FA


def is_verified(user) -> bool:
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified())


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The 6 digits your authenticator app shows, or one of your backup codes.",
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("admin:index")


def _guard(request):
    """Only a signed-in staff member who still needs the second factor gets here."""
    user = request.user
    if not user.is_authenticated or not user.is_staff:
        return redirect(f"{reverse('admin:login')}?{urlencode({'next': _next(request)})}")
    if not required() or is_verified(user):
        return redirect(_next(request))
    return None


def _refuse_if_locked(request):
    credentials = {"username": request.user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        logout(request)
        # The site's lockout page (AXES_LOCKOUT_CALLABLE), as for any other sign-in.
        return get_lockout_response(request, None, credentials)
    return None


def _failed(request) -> None:
    user_login_failed.send(
        sender=__name__, credentials={"username": request.user.get_username()}, request=request
    )


@never_cache
@sensitive_post_parameters("token")
def verify_view(request):
    if (response := _guard(request)) is not None:
        return response
    if not any(devices_for_user(request.user)):
        return redirect(f"{reverse('admin:staff_2fa_setup')}?{urlencode({'next': _next(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if (locked := _refuse_if_locked(request)) is not None:
            return locked
        if form.is_valid():
            device = match_token(request.user, "".join(form.cleaned_data["token"].split()))
            if device is not None:
                otp_login(request, device)
                AxesProxyHandler.reset_attempts(username=request.user.get_username())
                return redirect(_next(request))
            _failed(request)
            if getattr(request, "axes_locked_out", False):
                return _refuse_if_locked(request)
        form.add_error("token", "That code is not valid. Try the next code your app shows.")
    return TemplateResponse(
        request,
        "admin/staff_2fa/verify.html",
        {
            **admin.site.each_context(request),
            "title": "Enter your code",
            "form": form,
            "next": _next(request),
        },
    )


@never_cache
@sensitive_post_parameters("token")
def setup_view(request):
    if (response := _guard(request)) is not None:
        return response
    user = request.user
    if any(devices_for_user(user)):
        return redirect(
            f"{reverse('admin:staff_2fa_verify')}?{urlencode({'next': _next(request)})}"
        )
    device = TOTPDevice.objects.filter(
        user=user, confirmed=False
    ).first() or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if (locked := _refuse_if_locked(request)) is not None:
            return locked
        if form.is_valid() and device.verify_token("".join(form.cleaned_data["token"].split())):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
            codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
            StaticToken.objects.bulk_create(
                StaticToken(device=backup, token=code) for code in codes
            )
            otp_login(request, device)
            return TemplateResponse(
                request,
                "admin/staff_2fa/backup_codes.html",
                {
                    **admin.site.each_context(request),
                    "title": "Your backup codes",
                    "codes": codes,
                    "next": _next(request),
                },
            )
        if request.method == "POST" and form.is_valid():
            _failed(request)
            form.add_error(
                "token", "That code is not valid. Check the time on your phone and try again."
            )
    svg = io.BytesIO()

    write_qrcode_image(device.config_url, svg)
    return TemplateResponse(
        request,
        "admin/staff_2fa/setup.html",
        {
            **admin.site.each_context(request),
            "title": "Set up your second factor",
            "form": form,
            "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode(),
            "secret": _base32(device),
            "next": _next(request),
        },
    )


def _base32(device: TOTPDevice) -> str:
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
