"""The site's URLs: public pages, the patron portal, the staff admin; error handlers."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

import circulation.urls
import disclosures.transparency
import patrons.urls
from calumet import views

# The patron portal: sign-in and privacy pages (patrons) and circulation pages, one namespace.
portal_patterns = (patrons.urls.urlpatterns + circulation.urls.urlpatterns, "portal")

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("language/", views.language, name="set_language"),
    path("transparency/", disclosures.transparency.page, name="transparency"),
    path("portal/", include(portal_patterns)),
    # Retention, expunge runs and legal holds were the patrons app's pages until the privacy
    # kernel had a room of its own: a bookmark of the old address still arrives.
    re_path(
        r"^admin/patrons/(?P<page>legalhold|retentionpolicy|expungerun)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/privacy/%(page)s/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon),
]

handler403 = "calumet.views.permission_denied"
handler404 = "calumet.views.page_not_found"
handler500 = "calumet.views.server_error"
