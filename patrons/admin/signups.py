"""Online sign-ups waiting at the desk (`patrons.signup`): staff find an application by
the reference the applicant gives, check identity, and collect it through the
registration form (`accounts.py`), filled in. An application reaches no patron yet; staff
may discard a prank, never change one."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from patrons.admin.patrons import moment
from patrons.models import SignUp
from patrons.signup import signup_discard


@admin.register(SignUp)
class SignUpAdmin(admin.ModelAdmin):
    """Online applications waiting at the desk: find one by the reference the applicant
    gives (or the name), check identity, collect (the registration form, filled in)."""

    list_display = ("reference", "name", "applied", "confirmed", "collect")
    search_fields = ("=reference", "last_name", "first_name")
    list_filter = (("confirmed_at", admin.EmptyFieldListFilter),)
    ordering = ("-created_at",)
    actions = None
    fields = ("reference", "first_name", "last_name", "email", "created_at", "confirmed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Name")
    def name(self, obj):
        return obj.full_name

    @admin.display(description="Applied", ordering="created_at")
    def applied(self, obj):
        return moment(obj.created_at)

    @admin.display(description="Email confirmed", ordering="confirmed_at")
    def confirmed(self, obj):
        return moment(obj.confirmed_at) if obj.confirmed_at else "Not yet"

    @admin.display(description="")
    def collect(self, obj):
        if obj.confirmed_at is None:
            return "—"
        url = reverse("admin:patrons_patron_add") + f"?signup={obj.pk}"
        return format_html('<a href="{}">Check ID and issue the card</a>', url)

    def delete_model(self, request, obj):
        signup_discard(signup=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for signup in queryset:
            signup_discard(signup=signup, actor=request.user)
