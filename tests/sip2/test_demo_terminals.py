"""The demo library's SIP2 terminals: what the README tells `make run` users to try."""

import pytest
from django.core.management import call_command

from calumet import demo_data
from sip2.models import Terminal
from tests.sip2.conftest import INSTITUTION, STAMP, Talk, checkout, patron_info

pytestmark = pytest.mark.django_db


def test_the_demo_kiosk_and_pc_reservation_sign_in_with_the_published_secret(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # again: no second terminal, same secret
    assert Terminal.objects.count() == 2
    card, pin, _what = demo_data.DEMO_CARDS[1]

    kiosk = Talk()
    assert kiosk.login("kiosk1", demo_data.DEMO_SIP2_SECRET).fixed["ok"] == "1"
    status = kiosk.send(
        "99", {"status_code": "0", "max_print_width": "040", "protocol_version": "2.00"}
    )
    assert status.get("AN") == "Central Library"
    answer = patron_info(kiosk, card=card, pin=pin)
    assert answer.get("BL") == "Y" and answer.get("CQ") == "Y"

    pcres = Talk()
    assert pcres.login("pcres", demo_data.DEMO_SIP2_SECRET).fixed["ok"] == "1"
    assert patron_info(pcres, card=card, pin=pin).get("CQ") == "Y"
    refused = checkout(pcres, "31234000000001", card=card, pin=pin)
    assert refused.fixed["ok"] == "0"
    ended = pcres.send("35", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AA", card)])
    assert ended.fixed["end_session"] == "Y"
    assert Talk().login("kiosk1", "a wrong secret").fixed["ok"] == "0"
