"""Walk the admin site: every registered model's list and add pages, as a superuser."""

from django.contrib import admin
from django.contrib import admin as django_admin
from django.test import RequestFactory
from django.urls import reverse

from tests.helpers import our_app_labels

OUR_APPS = our_app_labels()


def registered_models(*, app_label=None, exclude_app_label=None):
    models = sorted(admin.site._registry, key=lambda model: model._meta.label)
    return [
        model
        for model in models
        if (app_label is None or model._meta.app_label == app_label)
        and model._meta.app_label != exclude_app_label
        # An unmanaged model (stats.Statistics, which only carries a permission) has no
        # table and no list to walk.
        and model._meta.managed
    ]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def check_list_and_add_pages(client, user, model):
    """The list answers 200 (with rows in it, for our models); the add page answers 200,
    or 403 where the model's admin refuses to add (rows the system makes, like ExpungeRun)."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = user

    rows = model_admin.get_queryset(request).count()  # (viewing the audit log adds to it)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200, model._meta.label
    changelist = response.context["cl"]
    assert changelist.result_count == rows
    if model._meta.app_label in OUR_APPS:
        # The fixtures put rows in every table of ours, so the columns really render.
        assert changelist.result_count > 0, model._meta.label
        assert len(changelist.result_list) > 0, model._meta.label

    response = client.get(admin_url(model, "add"))
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert response.status_code == expected, model._meta.label


def every_admin_url(user) -> list[str]:
    """Every page of the staff site: each registered model's list, add page and the change
    page of its first row (as the superuser sees it), the index, each app's index, and
    every task page that answers a GET."""
    urls = [reverse("admin:index")]
    labels = set()
    for model in registered_models():
        labels.add(model._meta.app_label)
        urls += [admin_url(model, "changelist"), admin_url(model, "add")]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(admin_url(model, "change", first.pk))
            urls.append(admin_url(model, "history", first.pk))
    urls += [reverse("admin:app_list", args=[label]) for label in sorted(labels)]
    for page in django_admin.site._pages:
        if page.listed:
            urls.append(reverse(f"admin:{page.url_name}"))
    return urls


def pages_naming_patron_by_number(client, user) -> list[str]:
    """The pages this staff member can open that show "Patron #" (a patron's opaque name,
    kept for the audit log, never what staff read)."""
    found = []
    for url in every_admin_url(user):
        response = client.get(url)
        assert response.status_code in (200, 302, 403), (url, response.status_code)
        if response.status_code == 200 and "Patron #" in response.content.decode():
            found.append(url)
    return found
