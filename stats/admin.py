"""The Statistics section of the staff site's index: its one entry opens the statistics
page (the model holds no rows; it carries the permission)."""

from django.contrib import admin
from django.urls import path

from stats.models import Statistics
from stats.views import statistics_page


@admin.register(Statistics)
class StatisticsAdmin(admin.ModelAdmin):
    def get_urls(self):
        # The index links here: the statistics page (also registered as a staff page).
        view = self.admin_site.admin_view(statistics_page)
        return [path("", view, name="stats_statistics_changelist")]

    def get_model_perms(self, request):
        return {"view": self.has_view_permission(request)}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
