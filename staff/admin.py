"""The staff app's part of the staff site: the Roles page and the history of the library's
changes to its roles."""

from django.contrib import admin

from core.admin_site import ReadOnlyAdmin
from staff import roles_page  # (registers the Roles page)
from staff.models import RoleChange


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The library's changes to the default roles, as the Roles page keeps them."""

    list_display = ("group", "permission_words", "granted", "changed_by", "changed_at")
    list_filter = ("group", "granted")
    list_select_related = ("group", "permission", "permission__content_type", "changed_by")

    @admin.display(description="Permission")
    def permission_words(self, obj) -> str:
        return roles_page._words(obj.permission)
