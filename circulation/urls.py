"""The portal's circulation pages (account, renewals, holds, catalog)."""

from django.urls import path

from circulation import portal
from circulation.catalog import views as catalog

urlpatterns = [
    path("", portal.account_view, name="account"),
    path("renew/", portal.renew_view, name="renew"),
    path("renew-all/", portal.renew_all_view, name="renew_all"),
    path("holds/cancel/", portal.hold_cancel_view, name="hold_cancel"),
    path("holds/suspend/", portal.hold_suspend_view, name="hold_suspend"),
    path("notices/", portal.notices_view, name="notices"),
    path("programs/sign-up/", portal.program_signup_view, name="program_signup"),
    path("programs/cancel/", portal.program_cancel_view, name="program_cancel"),
    path("history/", portal.history_view, name="history"),
    path("history/delete/", portal.history_delete_view, name="history_delete"),
    path("catalog/", catalog.catalog_view, name="catalog"),
    path("catalog/<int:title_id>/", catalog.title_view, name="title"),
    # Acting on a title while signed in: the title travels in the POST body, so that no
    # log of URLs (the web server's, a proxy's) ties the signed-in patron to it.
    path("holds/place/", catalog.hold_place_view, name="hold_place"),
]
