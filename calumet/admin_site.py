"""The staff site: Django's admin, plus task pages (the circulation desk, reports) that
apps register with `site.register_page()`. A page is listed at the top of its app's
section on the index and in the sidebar, for staff who hold its permission."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path, reverse


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


class CalumetAdminSite(admin.AdminSite):
    site_header = "Calumet staff"
    site_title = "Calumet staff"
    index_title = "Library administration"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[AdminPage] = []

    def register_page(self, page: AdminPage) -> AdminPage:
        if any(p.url_name == page.url_name for p in self._pages):
            return page
        self._pages.append(page)
        return page

    def get_urls(self):
        pages = [
            path(
                f"{page.app_label}/{page.slug}/",
                self.admin_view(page.view),
                name=page.url_name,
            )
            for page in self._pages
        ]
        return pages + super().get_urls()

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        by_label = {app["app_label"]: app for app in app_list}
        for page in sorted(self._pages, key=lambda p: p.order):
            if not page.listed or not request.user.has_perm(page.permission):
                continue
            if app_label and page.app_label != app_label:
                continue
            entry = {
                "name": page.label,
                "object_name": page.slug,
                "perms": {"view": True},
                "admin_url": reverse(f"admin:{page.url_name}", current_app=self.name),
                "add_url": None,
                "view_only": True,
                "is_page": True,
            }
            app = by_label.get(page.app_label)
            if app is not None:
                app["models"].insert(0, entry)
        return app_list


class CalumetAdminConfig(AdminConfig):
    default_site = "calumet.admin_site.CalumetAdminSite"
