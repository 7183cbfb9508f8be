"""The negative answer to each SIP2 request: nothing done, nothing told.

Used for refusals of every kind (not signed in, not allowed, wrong institution, out of
sequence, a failure inside Calumet) and by the handlers when the desk's rules say no.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from sip2.account import card_number
from sip2.codec import Message, count, timestamp

LANGUAGE = "000"

#: The request each answer code replies to.
ANSWERS = {
    "93": "94",
    "99": "98",
    "23": "24",
    "63": "64",
    "11": "12",
    "09": "10",
    "17": "18",
    "29": "30",
    "65": "66",
    "35": "36",
    "37": "38",
    "01": "24",
    "15": "16",
    "19": "20",
    "25": "26",
}


def now_stamp() -> str:
    return timestamp(timezone.now())


def institution() -> str:
    return settings.CALUMET_SIP2_INSTITUTION


def refusal(request: Message, text: str = "") -> Message:
    """The negative answer to any request: nothing done, nothing told."""
    code = request.command
    answer = ANSWERS.get(code, "96")
    stamp = now_stamp()
    aa = card_number(request.get("AA"))
    fixed: dict[str, str] = {"transaction_date": stamp}
    fields: list[tuple[str, str]] = []
    if answer == "94":
        fixed = {"ok": "0"}
    elif answer == "98":
        fixed = {
            "online_status": "N",
            "checkin_ok": "N",
            "checkout_ok": "N",
            "acs_renewal_policy": "N",
            "status_update_ok": "N",
            "offline_ok": "N",
            "timeout_period": "000",
            "retries_allowed": "000",
            "date_time_sync": stamp,
            "protocol_version": "2.00",
        }
        fields = [("AO", institution()), ("BX", "N" * 16)]
    elif answer in ("24", "64", "26"):
        fixed.update(patron_status="YYYY" + " " * 10, language=LANGUAGE)
        if answer == "64":
            for name in (
                "hold_items_count",
                "overdue_items_count",
                "charged_items_count",
                "fine_items_count",
                "recall_items_count",
                "unavailable_holds_count",
            ):
                fixed[name] = count(0)
        fields = [("AO", institution()), ("AA", aa), ("AE", ""), ("BL", "N")]
    elif answer in ("12", "30"):
        fixed.update(ok="0", renewal_ok="N", magnetic_media="U", desensitize="N")
        fields = [
            ("AO", institution()),
            ("AA", aa),
            ("AB", request.get("AB")),
            ("AJ", ""),
            ("AH", ""),
        ]
    elif answer == "10":
        fixed.update(ok="0", resensitize="N", magnetic_media="U", alert="N")
        fields = [("AO", institution()), ("AB", request.get("AB")), ("AQ", "")]
    elif answer == "18":
        fixed.update(circulation_status="01", security_marker="00", fee_type="01")
        fields = [("AB", request.get("AB")), ("AJ", "")]
    elif answer == "66":
        fixed.update(ok="0", renewed_count=count(0), unrenewed_count=count(0))
        fields = [("AO", institution())]
    elif answer == "16":
        fixed.update(ok="0", available="N")
        fields = [("AO", institution()), ("AA", aa)]
    elif answer == "20":
        fixed["item_properties_ok"] = "0"
        fields = [("AB", request.get("AB"))]
    elif answer == "36":
        fixed["end_session"] = "N"
        fields = [("AO", institution()), ("AA", aa)]
    elif answer == "38":
        fixed["payment_accepted"] = "N"
        fields = [("AO", institution()), ("AA", aa)]
        if request.has("BK"):
            fields.append(("BK", request.get("BK")))
    message = Message(answer, fixed, fields)
    if text:
        message.add("AF", text)
    return message
