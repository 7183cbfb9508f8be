"""The patron's own "who has looked at my record" page, read from the audit log.

Entries are grouped per local day, per reader (staff role and branch, or a self-check
terminal — never a name) and per purpose, so that a day at the desk reads as one line
("Circulation staff, Main: opened your record during a check-out; your name appeared in
2 lists or searches") and real events do not drown in repeats.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from auditlog.models import LogEntry
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext as _

from privacy.access import KIOSK, PORTAL, purpose_of
from privacy.registry import registry

# Markers, not words: the patron's own line, their sign-ins, the lists they appeared in.
YOU, SIGNED_IN, LISTED = object(), object(), object()
#: The key of a month's reduced transactions, beside its first day's.
MONTH = "month"


def secret_kinds() -> set[str]:
    """Kinds a court may forbid telling the patron about (their download hides them too)."""
    return {kind.name for kind in registry if kind.patron_visible is not None}


def _kinds(data: dict) -> dict[str, int]:
    kinds = data.get("kinds")
    if isinstance(kinds, dict):
        return kinds
    return {data["kind"]: 1} if data.get("kind") else {}


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return _("%(list)s and %(last)s") % {"list": ", ".join(words[:-1]), "last": words[-1]}


def _labels(kind_names) -> str:
    labels = []
    for name in sorted(kind_names):
        labels.append(
            gettext(registry.get(name).patron_label) if name in registry else _("your record")
        )
    return _join(labels)


#: Readers the audit log names by words of its own (staff groups are StaffRole labels).
READERS = (gettext_noop("Administrator"), gettext_noop("Staff"), gettext_noop("Library staff"))


def _reader(data: dict) -> str:
    """Who, as the patron reads it: the role in the patron's language, and the branch."""
    role = data.get("role")
    who = gettext(role) if role else _("Library staff")
    if data.get("branch"):
        who = _("%(role)s, %(branch)s") % {"role": who, "branch": data["branch"]}
    return who


def access_days(patron, keep_days: int | None) -> list[dict]:
    """[{day, lines: [{who, what, you}]}], newest day first, in the active language."""
    since = timezone.now() - datetime.timedelta(days=keep_days if keep_days is not None else 365)
    secret = secret_kinds()
    entries = (
        LogEntry.objects.filter(additional_data__patron=patron.pk, timestamp__gte=since)
        # (has_key first: a JSON key that is missing compares as NULL, not as false.)
        .exclude(additional_data__has_key="confidential")
        .values_list("timestamp", "action", "actor_id", "additional_data")
        .order_by("-timestamp")
    )
    # day -> who -> Counter of phrases (kept in first-seen order); YOU is the patron.
    days: dict[datetime.date, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for stamp, action, actor_id, data in entries.iterator():
        data = data or {}
        kinds = _kinds(data)
        if secret & set(kinds):
            continue
        if data.get("month"):
            # A transaction of the patron's, reduced to its month with its records.
            month = (timezone.localtime(stamp).date(), MONTH)
            served = data.get("served")
            if served == PORTAL:
                days[month][YOU][_("you used your account online")] += 1
            elif served == KIOSK:
                days[month][_("Self-service kiosk")][_("served you")] += 1
            else:
                days[month][_("Library staff")][_("served you at the desk")] += 1
            continue
        day = timezone.localtime(stamp).date()
        if data.get("event") == "sign-in":
            days[day][YOU][SIGNED_IN] += 1
            continue
        if actor_id is None and not data.get("role"):
            continue  # the patron's own pages
        who = _reader(data)
        if action == LogEntry.Action.ACCESS:
            if data.get("access") == "listed":
                days[day][who][LISTED] += 1
                continue
            purpose = purpose_of(data.get("page", ""))
            purpose = gettext(purpose) if purpose else ""
            phrase = _("opened %(records)s %(purpose)s") % {
                "records": _labels(kinds),
                "purpose": purpose,
            }
            days[day][who][phrase.strip()] += 1
        elif action == LogEntry.Action.CREATE:
            days[day][who][_("added to %(records)s") % {"records": _labels(kinds)}] += 1
        elif action == LogEntry.Action.DELETE:
            phrase = _("removed something from %(records)s") % {"records": _labels(kinds)}
            days[day][who][phrase] += 1
        else:
            days[day][who][_("changed %(records)s") % {"records": _labels(kinds)}] += 1
    result = []
    # Newest first; a month's reduced transactions come after its later days.
    for day in sorted(
        days, key=lambda key: key if isinstance(key, tuple) else (key, ""), reverse=True
    ):
        lines = []
        for who, phrases in days[day].items():
            parts = []
            for phrase, count in phrases.items():
                if phrase == LISTED:
                    parts.append(
                        ngettext(
                            "your name appeared in %(count)d list or search results",
                            "your name appeared in %(count)d lists or search results",
                            count,
                        )
                        % {"count": count}
                    )
                elif phrase == SIGNED_IN:
                    parts.append(
                        ngettext("you signed in", "you signed in (%(count)d times)", count)
                        % {"count": count}
                    )
                elif count == 1:
                    parts.append(phrase)
                else:
                    parts.append(
                        _("%(phrase)s (%(count)d times)") % {"phrase": phrase, "count": count}
                    )
            lines.append({"who": who, "what": "; ".join(parts), "you": who is YOU})
        if isinstance(day, tuple):
            result.append({"day": day[0], "month": True, "lines": lines})
        else:
            result.append({"day": day, "lines": lines})
    return result
