"""What an app needs to join the staff site, knowing no app: a task page (`AdminPage`,
registered with `admin.site.register_page()`), a read-only admin for rows the system
writes (`ReadOnlyAdmin`), and a place in the staff navigation (`Nav`), declared by the app
in its `AppConfig.navigation` and assembled by `navigation()`."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AdminPage:
    app_label: str
    slug: str
    label: str
    view: Callable
    permission: str
    order: int = 0
    #: Listed on the index and sidebar (False for endpoints that only take a POST).
    listed: bool = True

    @property
    def url_name(self) -> str:
        return f"{self.app_label}_{self.slug.replace('-', '_')}"


class ReadOnlyAdmin:
    """Mixin for a ModelAdmin whose rows the system writes (the audit log, expunge runs,
    daily counts): nobody adds, changes or deletes them here, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


#: The staff navigation's groups, by task, in their default order. What no app places
#: goes under "Settings".
GROUPS = ("Desk", "Patrons", "Catalog", "Programs", "Statistics", "Privacy and audit", "Settings")


@dataclass(frozen=True)
class Nav:
    """One entry of the staff navigation, declared by the app that owns it.

    `name` is a model's class name or a task page's slug; `app_label` is the app whose
    admin lists it, when that is not the declaring app (Django's users and groups, the
    audit log's pages). Entries of a group are shown by `weight`, then as declared."""

    group: str
    name: str
    weight: int = 0
    app_label: str = ""

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"{self.group!r} is not a navigation group ({', '.join(GROUPS)})")


def navigation(app_configs: Iterable) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(group, ((app label, name), ...)) for every group, from what the apps declare in
    `AppConfig.navigation`, in GROUPS order and by weight within a group."""
    placed: dict[str, list[tuple[int, int, tuple[str, str]]]] = {group: [] for group in GROUPS}
    for config in app_configs:
        for seq, entry in enumerate(getattr(config, "navigation", ())):
            key = (entry.app_label or config.label, entry.name)
            placed[entry.group].append((entry.weight, seq, key))
    return tuple((group, tuple(key for *_rank, key in sorted(placed[group]))) for group in GROUPS)
