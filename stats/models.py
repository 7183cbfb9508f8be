"""The statistics app stores nothing: this unmanaged model only carries the permission
to read the statistics pages (`stats.view_statistics`). It has no table; its manager
answers an empty queryset without asking the database."""

from django.db import models


class _NoRows(models.Manager):
    def get_queryset(self):
        return super().get_queryset().none()


class Statistics(models.Model):
    objects = _NoRows()

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_statistics", "Can view the library's statistics")]
        verbose_name = "library statistics"
        verbose_name_plural = "library statistics"

    def __str__(self) -> str:
        return "Library statistics"
