"""The demo library's accounts: its staff users (one per role, the README's password) and
its SIP2 terminals (the README's secret), set again on every `seed_demo`."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from calumet.demo_data import BRANCHES, DEMO_PASSWORD, DEMO_SIP2_SECRET, DEMO_TERMINALS, STAFF
from circulation.models import Branch
from sip2.models import Terminal
from sip2.services import terminal_save


def ensure_staff() -> None:
    User = get_user_model()
    for username, first, last, group_name in STAFF:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@localhost"},
        )
        user.is_staff = True
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        group, _ = Group.objects.get_or_create(name=group_name)
        user.groups.set([group])


def ensure_terminals() -> None:
    """The demo's self-check kiosk and PC-reservation system at the Central Library,
    through the service the admin uses, with the published secret (set again each time,
    as the staff passwords are)."""
    branch = Branch.objects.filter(code=BRANCHES[0][0]).first()
    if branch is None:
        return
    for name, login, allowed in DEMO_TERMINALS:
        terminal = Terminal.objects.filter(login=login).first() or Terminal(
            name=name, login=login, branch=branch, **allowed
        )
        terminal_save(terminal=terminal, actor=None, secret=DEMO_SIP2_SECRET)
