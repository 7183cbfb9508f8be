"""The statistics app stores nothing: this unmanaged model only carries the permission
to read the statistics pages (`stats.view_statistics`)."""

from django.db import models


class Statistics(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_statistics", "Can view the library's statistics")]
        verbose_name = "library statistics"
        verbose_name_plural = "library statistics"

    def __str__(self) -> str:
        return "Library statistics"
