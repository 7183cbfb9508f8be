"""Patron state in stored sessions: the one shape it may take, and how it is removed.

A session (django.contrib.sessions, stored in the database) may hold patron state only
in a **patron-state namespace**: a top-level session key whose value is a dict with a
`"refs"` entry naming every record the state mentions, by kind and id:

    request.session["calumet_desk.checkout"] = {
        "refs": {"patron": [12], "card": [31], "item": [405, 406]},
        "until": 1764553200.0,       # optional: seconds since the epoch; stale after it
        ...                           # the owner's own data: ids and short texts only
    }

Whoever keeps such state (the circulation desk does) builds it with `namespace()` and
follows three rules:

- `refs` lists every patron, card and item the namespace's data mentions *or implies*
  (a scan line naming an item lists the item, and the patron whose loan it was). Other
  kinds may be added under their own names; unknown kinds are kept and ignored here.
- Names, titles, card numbers and barcodes of known items are never stored: ids only,
  looked up when a page is shown.
- State that must not outlive a transaction carries `until`; its owner treats it as gone
  once `is_stale()` says so, and `scrub_stale_sessions()` removes it from sessions that no
  request reads again.

This module knows no other app's key names: it finds namespaces by their shape alone.
The patron portal's own session (`patrons.portal.SESSION_PATRON`) is the other kind of
patron state; `scrub_sessions` deletes such a session outright, which signs the patron out.

`scrub_sessions(patron_ids=..., card_ids=..., item_ids=...)` is what the expunge calls
with everything it deleted or anonymised. It reads every stored session, removes each
namespace whose refs meet one of the ids, deletes the portal sessions of those patrons,
and writes back only the sessions it changed (their expiry is left as it was). A session
the site can no longer read (signed with a retired secret key) cannot be checked, and no
one can use it: it is deleted too.

A request that loaded a session before the scrub and saves it afterwards writes its own
copy back (Django saves a session whole). A deleted session cannot be written back this
way (Django refuses to re-create it), so a patron's portal session stays gone; a staff
session could regain a namespace in that window, which is why the expunge runs at night.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from importlib import import_module

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

#: The session key under which the patron portal keeps its signed-in patron's id: the
#: sessions that hold it are the ones the expunge scrubs.
SESSION_PATRON = "calumet_patron_id"

REFS = "refs"
UNTIL = "until"
#: The kinds the expunge names; a namespace may list others.
KINDS = ("patron", "card", "item")


def refs(*, patron: Iterable = (), card: Iterable = (), item: Iterable = ()) -> dict:
    """The `refs` entry: sorted, distinct ids per kind; empty kinds left out."""
    found = {
        kind: sorted({int(pk) for pk in ids if pk is not None})
        for kind, ids in (("patron", patron), ("card", card), ("item", item))
    }
    return {kind: ids for kind, ids in found.items() if ids}


def namespace(data: dict, *, refs: dict, until: datetime.datetime | None = None) -> dict:
    """A patron-state namespace holding `data`, its refs and (optionally) its end."""
    value = {**data, REFS: refs}
    if until is not None:
        value[UNTIL] = until.timestamp()
    return value


def is_namespace(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get(REFS), dict)


def is_stale(value, *, now: datetime.datetime | None = None) -> bool:
    """True once a namespace's `until` has passed (a namespace without one never is)."""
    until = value.get(UNTIL) if isinstance(value, dict) else None
    if not isinstance(until, int | float):
        return False
    return until <= (now or timezone.now()).timestamp()


def mentions(value, wanted: dict[str, set[int]]) -> bool:
    """Does this namespace's refs name any of the wanted ids (kind -> ids)?"""
    if not is_namespace(value):
        return False
    for kind, ids in wanted.items():
        listed = value[REFS].get(kind)
        if ids and isinstance(listed, list) and not ids.isdisjoint(listed):
            return True
    return False


# -- scrubbing stored sessions ---------------------------------------------------------------


def _store_class():
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        raise ImproperlyConfigured(
            "Patron state in sessions can only be scrubbed from database-backed sessions "
            f"(SESSION_ENGINE is {settings.SESSION_ENGINE})."
        )
    return store_class


def _decode(store, session_data: str) -> dict | None:
    """The session's data, or None when it cannot be read (unlike `decode`, which
    answers {} for that too)."""
    try:
        data = signing.loads(session_data, salt=store.key_salt, serializer=store.serializer)
    except Exception:  # a bad signature, or data that no longer unpickles/parses
        return None
    return data if isinstance(data, dict) else None


def _rewrite(decide) -> int:
    """Walk every stored session; `decide(data)` returns None (leave it), "delete", or the
    new data. Returns how many sessions were changed or deleted."""
    store_class = _store_class()
    model = store_class.get_model_class()
    store = store_class()
    cache = getattr(store, "_cache", None)  # cached_db keeps a second copy
    changed = 0
    rows = model.objects.only("session_key", "session_data").order_by("pk")
    for row in rows.iterator(chunk_size=500):
        data = _decode(store, row.session_data)
        outcome = "delete" if data is None else decide(data)
        if outcome is None:
            continue
        if outcome == "delete":
            done = model.objects.filter(pk=row.pk).delete()[0]
        else:
            done = model.objects.filter(pk=row.pk).update(session_data=store.encode(outcome))
        if cache is not None:
            cache.delete(store_class.cache_key_prefix + row.session_key)
        changed += 1 if done else 0
    return changed


def scrub_sessions(*, patron_ids=(), card_ids=(), item_ids=()) -> int:
    """Remove from every stored session all state that mentions one of these patrons,
    cards or items: each namespace whose refs name one, and the portal sessions of the
    patrons. Only the sessions that change are written. Returns how many changed."""
    wanted = {
        "patron": {int(pk) for pk in patron_ids},
        "card": {int(pk) for pk in card_ids},
        "item": {int(pk) for pk in item_ids},
    }
    if not any(wanted.values()):
        return 0

    def decide(data: dict):
        if data.get(SESSION_PATRON) in wanted["patron"]:
            return "delete"
        kept = {key: value for key, value in data.items() if not mentions(value, wanted)}
        return kept if len(kept) != len(data) else None

    return _rewrite(decide)


def scrub_stale_sessions(*, now: datetime.datetime | None = None) -> int:
    """Remove every namespace whose `until` has passed from every stored session (state a
    clerk walked away from, in a session no request has read since). Returns how many
    sessions changed."""
    now = now or timezone.now()

    def decide(data: dict):
        kept = {
            key: value
            for key, value in data.items()
            if not (is_namespace(value) and is_stale(value, now=now))
        }
        return kept if len(kept) != len(data) else None

    return _rewrite(decide)
