"""Small helpers shared by the test modules."""

import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from circulation.models import LibraryPolicy
from tests.factories import DEFAULT_PIN, StaffUserFactory

ROOT = Path(__file__).resolve().parents[1]
#: Our own packages, as pyproject.toml lists them for the wheel: a new room joins by being
#: listed there, and every test that walks "all of our code" walks it.
OUR_PACKAGES = tuple(
    name.rstrip("*")
    for name in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
)


def our_app_labels() -> tuple[str, ...]:
    """The labels of our installed apps (whatever their models), from OUR_PACKAGES."""
    return tuple(
        config.label
        for config in apps.get_app_configs()
        if config.name.split(".")[0] in OUR_PACKAGES
    )


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@contextmanager
def database_refuses(errors=IntegrityError):
    """The block must fail with the database's own error (model validation is not
    involved: write with .objects.create, .update or bulk_create). The savepoint keeps the
    test's transaction usable afterwards."""
    with pytest.raises(errors), transaction.atomic():
        yield


def make_staff(username: str, *groups: str):
    """A staff account (password `tests.factories.STAFF_PASSWORD`) in the given groups,
    which the data migrations create. The fixtures `clerk`, `librarian`, `director` and
    `roleless` (tests/conftest.py) are the usual ones."""
    user = StaffUserFactory(username=username)
    if groups:
        user.groups.set(Group.objects.filter(name__in=groups))
        assert user.groups.count() == len(groups), "the data migration creates the groups"
    return user


def signed_in(user) -> Client:
    """A client signed in as `user` (kept as `client.user`)."""
    client = Client()
    client.force_login(user)  # not login(): django-axes' backend needs a request
    client.user = user
    return client


def portal_signed_in(card, pin: str | None = None) -> Client:
    """A browser signed in to the patron portal with `card` (a Card, or its number) and
    its PIN (the factories' DEFAULT_PIN unless given), as the patron does it: the sign-in
    form, which must answer with a redirect to the account."""
    number = getattr(card, "number", card)
    client = Client()
    response = client.post(
        reverse("portal:login"), {"card_number": number, "pin": pin or DEFAULT_PIN}
    )
    assert response.status_code == 302, "the portal refused the sign-in"
    return client


def set_library_policy(**values):
    """Set some of the library's policy (the admin's Settings > Library policy)."""
    LibraryPolicy.objects.update_or_create(pk=1, defaults=values)
