from django.contrib import admin
from django.urls import include, path

import circulation.urls
import disclosures.transparency
import patrons.urls

from . import views

# The patron portal: sign-in and privacy pages (patrons) and circulation pages, one namespace.
portal_patterns = (patrons.urls.urlpatterns + circulation.urls.urlpatterns, "portal")

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("transparency/", disclosures.transparency.page, name="transparency"),
    path("portal/", include(portal_patterns)),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon),
]

handler500 = "calumet.views.server_error"
