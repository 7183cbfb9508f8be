"""The portal's patron pages: sign-in, privacy choices, PIN, lost card, my data, who has looked."""

from django.urls import path

from patrons import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("staff/", views.staff_refused_view, name="staff_refused"),
    path("privacy/", views.privacy_view, name="privacy"),
    path("pin/", views.pin_change_view, name="pin"),
    path("pin/forgotten/", views.pin_reset_request_view, name="pin_reset"),
    path("pin/reset/new/", views.pin_reset_new_view, name="pin_reset_new"),
    path("pin/reset/<str:token>/", views.pin_reset_link_view, name="pin_reset_link"),
    path("lost-card/", views.lost_card_view, name="lost_card"),
    path("data/", views.my_data_view, name="my_data"),
    path("data/all/", views.my_data_all_view, name="my_data_all"),
    path("access/", views.access_view, name="access"),
    path("sign-up/", views.signup_view, name="signup"),
    path("sign-up/sent/", views.signup_sent_view, name="signup_sent"),
    path("sign-up/confirm/<str:token>/", views.signup_confirm_view, name="signup_confirm"),
]
