"""The hash kept for a patron's PIN and a SIP2 terminal's secret.

Staff passwords keep Django's Argon2 settings (100 MiB, 8 lanes: about 0.25 s of CPU a
check). PINs and terminal secrets use Argon2id at the minimum of OWASP's Password
Storage Cheat Sheet (19 MiB, 2 passes, 1 lane: about 30 ms), for three reasons:

- A PIN has 4 to 12 digits. No affordable hash makes a 4-digit PIN hard to find from a
  stolen hash (10,000 guesses cost 40 minutes of one core at Django's settings, 5 at
  these); what protects a PIN is the lockout after five wrong tries, shared by the portal
  and the kiosks, and the database kept away from the public.
- A terminal secret is 32 random characters (192 bits): its hash is not what keeps it.
- Fifty kiosks checking PINs at once must not each take 100 MiB and a quarter of a second
  of a core, or every patron at every kiosk waits for the others' hashes.

A hash made before (Django's Argon2) is still accepted, and replaced by this one the
next time the PIN is used successfully (`patrons.pins.pin_rehash`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password


class PinHasher(Argon2PasswordHasher):
    """Argon2id, 19 MiB, 2 passes, 1 lane (listed in PASSWORD_HASHERS after the
    default, so that `check_password` recognises its hashes)."""

    algorithm = "argon2pin"
    time_cost = 2
    memory_cost = 19456
    parallelism = 1


HASHER = PinHasher()


def hash_pin(value: str) -> str:
    """The hash to keep for a PIN or a terminal secret."""
    return make_password(value, hasher=HASHER)


def pin_matches(value: str, encoded: str) -> bool:
    """Whether `value` is what `encoded` was made from (any hasher Django knows)."""
    return bool(encoded) and check_password(value, encoded)


def pin_hash_outdated(encoded: str) -> bool:
    """Made by another hasher or with other settings than today's."""
    return bool(encoded) and (
        not encoded.startswith(HASHER.algorithm + "$") or HASHER.must_update(encoded)
    )


def waste_time(value: str) -> None:
    """The work of one check, for when there is nothing to check against (an unknown
    card or terminal), so that the answer comes as late as for a wrong PIN."""
    hash_pin(value)
