"""Public pages: no sign-in, nothing about any patron."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from circulation.models import Branch, Program, Title
from patrons.selectors import retention_schedule


@require_safe
def home(request):
    from django.utils import timezone

    context = {
        "branches": Branch.objects.order_by("name"),
        "title_count": Title.objects.count(),
        "upcoming_programs": Program.objects.filter(starts_at__gte=timezone.now())
        .select_related("branch")
        .order_by("starts_at")[:4],
    }
    return render(request, "home.html", context)


@require_safe
def privacy(request):
    return render(request, "privacy.html", {"schedule": retention_schedule()})
