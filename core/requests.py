"""Reading what a request carries, for any page: ids typed or posted."""


def posted_id(value) -> int | None:
    """A record id typed or posted: digits only and of a sane length, else None (never a
    ValueError or a number the database cannot hold)."""
    value = value if isinstance(value, str) else ""
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)
