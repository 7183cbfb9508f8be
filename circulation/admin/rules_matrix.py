"""The circulation rules matrix page: rows are patron categories, columns item types, for
one branch (or any); each cell shows the rule that applies there and where it comes from."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse

from circulation.models import Branch, Item
from circulation.models.rules import RuleBook
from core.admin_site import AdminPage
from patrons.models import PatronCategory

PERMISSION = "circulation.view_circulationrule"


class MatrixBranchForm(forms.Form):
    branch = forms.ModelChoiceField(
        queryset=Branch.objects.all(), required=False, empty_label="Any branch"
    )


def matrix_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = MatrixBranchForm(request.GET or None)
    branch = form.cleaned_data["branch"] if form.is_valid() else None
    book = RuleBook()
    categories = [(None, "Any category"), *PatronCategory.objects.values_list("code", "name")]
    item_types = [("", "Any type"), *Item.ItemType.choices]
    rows = []
    for category, category_label in categories:
        cells = []
        for item_type, _label in item_types:
            rule = book.find(
                category=category, item_type=item_type, branch_id=branch.pk if branch else None
            )
            exact = (
                rule.pk is not None
                and rule.patron_category_id == category
                and rule.item_type == item_type
                and rule.branch_id == (branch.pk if branch else None)
            )
            cells.append(
                {
                    "rule": rule,
                    "exact": exact,
                    "url": reverse("admin:circulation_circulationrule_change", args=[rule.pk])
                    if rule.pk
                    else None,
                }
            )
        rows.append({"label": category_label, "cells": cells})
    context = {
        **admin.site.each_context(request),
        "title": "Circulation rules matrix",
        "opts": None,
        "form": form if form.is_bound else MatrixBranchForm(),
        "branch": branch,
        "item_types": [label for _value, label in item_types],
        "rows": rows,
    }
    return TemplateResponse(request, "admin/circulation/rules_matrix.html", context)


admin.site.register_page(
    AdminPage(
        "circulation",
        "rules-matrix",
        "Circulation rules matrix",
        matrix_view,
        PERMISSION,
        order=-20,
    )
)
