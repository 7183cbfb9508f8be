"""The patron's own "who has looked at my record" page, read from the audit log.

Entries are grouped per local day, per reader (staff role and branch, or a self-check
terminal — never a name) and per purpose, so that a day at the desk reads as one line
("Circulation staff, Main: opened your record during a check-out; your name appeared in
2 lists or searches") and real events do not drown in repeats.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.utils import timezone

from .access import purpose_of
from .registry import registry


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
    return ", ".join(words[:-1]) + " and " + words[-1]


def _labels(kind_names) -> str:
    labels = []
    for name in sorted(kind_names):
        labels.append(registry.get(name).patron_label if name in registry else "your record")
    return _join(labels)


def _times(count: int) -> str:
    return "" if count == 1 else f" ({count} times)"


def access_days(patron, keep_days: int | None) -> list[dict]:
    """[{day, lines: [{who, what}]}], newest day first."""
    from auditlog.models import LogEntry

    since = timezone.now() - datetime.timedelta(days=keep_days if keep_days is not None else 365)
    secret = secret_kinds()
    entries = (
        LogEntry.objects.filter(additional_data__patron=patron.pk, timestamp__gte=since)
        # (has_key first: a JSON key that is missing compares as NULL, not as false.)
        .exclude(additional_data__has_key="confidential")
        .values_list("timestamp", "action", "actor_id", "additional_data")
        .order_by("-timestamp")
    )
    # day -> who -> Counter of phrases (kept in first-seen order)
    days: dict[datetime.date, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for stamp, action, actor_id, data in entries.iterator():
        data = data or {}
        kinds = _kinds(data)
        if secret & set(kinds):
            continue
        day = timezone.localtime(stamp).date()
        if data.get("event") == "sign-in":
            days[day]["You"]["signed in"] += 1
            continue
        if actor_id is None and not data.get("role"):
            continue  # the patron's own pages
        who = data.get("role") or "Library staff"
        if data.get("branch"):
            who += f", {data['branch']}"
        if action == LogEntry.Action.ACCESS:
            if data.get("access") == "listed":
                days[day][who]["listed"] += 1
                continue
            purpose = purpose_of(data.get("page", ""))
            days[day][who][f"opened {_labels(kinds)} {purpose}".strip()] += 1
        elif action == LogEntry.Action.CREATE:
            days[day][who][f"added to {_labels(kinds)}"] += 1
        elif action == LogEntry.Action.DELETE:
            days[day][who][f"removed something from {_labels(kinds)}"] += 1
        else:
            days[day][who][f"changed {_labels(kinds)}"] += 1
    result = []
    for day in sorted(days, reverse=True):
        lines = []
        for who, phrases in days[day].items():
            parts = []
            for phrase, count in phrases.items():
                if phrase == "listed":
                    parts.append(
                        f"your name appeared in {count} list{'s' if count != 1 else ''} "
                        "or search results"
                    )
                else:
                    parts.append(phrase + _times(count))
            lines.append({"who": who, "what": "; ".join(parts)})
        result.append({"day": day, "lines": lines})
    return result
