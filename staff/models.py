from django.conf import settings
from django.db import models


class RoleChange(models.Model):
    """A change the library made to a role's defaults on the Roles page: this permission
    given to (`granted`) or taken from this role. `staff.roles.sync_roles()` (run by the
    data migrations) starts from the defaults of `staff/roles.py` and then applies these,
    so a library's choices survive the next `migrate`; setting a permission back to its
    default deletes the row."""

    group = models.ForeignKey("auth.Group", on_delete=models.CASCADE, related_name="+")
    permission = models.ForeignKey("auth.Permission", on_delete=models.CASCADE, related_name="+")
    granted = models.BooleanField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "role change"
        constraints = [
            models.UniqueConstraint(fields=["group", "permission"], name="one_change_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {'+' if self.granted else '-'}{self.permission_id}"
