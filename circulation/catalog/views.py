"""The public catalog: the catalog home (new titles, browse by subject), keyword search
results with facets, a title's page with every copy, and placing a hold.

No sign-in is needed except to place a hold. These pages show no patron record: a copy's
status and due date say nothing about who has it. The query logic is in `search.py`.
Placing a hold posts the title's id in the form's body, to an URL without it.
"""

from collections import Counter

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from circulation import services
from circulation.catalog.facets import BRANCHES_COUNTED, Facet, language_name
from circulation.catalog.search import SORTS, Filters, copy_counts, search
from circulation.catalog.search import suggestion as suggest
from circulation.models import Branch, Hold, Item, Loan, Title
from core.refusals import Refused
from core.requests import posted_id
from patrons.portal import patron_required

PER_PAGE = 20
MAX_QUERY = 200
NEW_TITLES = 12
SUBJECTS_SHOWN = 30
SUBJECTS_CACHE_SECONDS = 600
FILTER_NAMES = ("format", "language", "decade", "branch", "subject")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY)
    format = forms.ChoiceField(required=False, choices=[("", ""), *Title.Format.choices])
    language = forms.RegexField(required=False, regex=r"^[a-z]{3}$")
    decade = forms.IntegerField(required=False, min_value=1000, max_value=2100)
    branch = forms.IntegerField(required=False, min_value=1)
    subject = forms.CharField(required=False, max_length=200)
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))


def _read_form(request) -> tuple[dict, bool]:
    """The search options that make sense, and whether any had to be left out."""
    data = request.GET.copy()
    data["q"] = (data.get("q") or "").strip()[:MAX_QUERY]
    form = SearchForm(data)
    form.is_valid()
    values = {
        name: form.cleaned_data.get(name) for name in form.fields if name in form.cleaned_data
    }
    return values, bool(form.errors)


def _link(values: dict, **changes) -> str:
    """The query string of the current search with some options changed (None removes)."""
    params = QueryDict(mutable=True)
    for name, value in {**values, **changes}.items():
        if value not in (None, "") and name != "page":
            params[name] = value
    return "?" + params.urlencode() if params else "?"


@require_safe
def catalog_view(request):
    values, left_out = _read_form(request)
    query = values.get("q") or ""
    if not query and not any(values.get(name) for name in FILTER_NAMES):
        return _home(request)
    sort = values.get("sort") or ("relevance" if query else "title")
    filters = Filters(
        format=values.get("format") or "",
        language=values.get("language") or "",
        decade=values.get("decade"),
        branch=values.get("branch"),
        subject=values.get("subject") or "",
    )
    found = search(query, filters, sort)
    titles = found.listing("search_text", "summary")
    if found.count is not None:
        titles = _Counted(titles, found.count)
    page = Paginator(titles, PER_PAGE).get_page(request.GET.get("page"))
    current = {**values, "sort": values.get("sort")}
    suggestion = suggest(query, page.paginator.count) if query else ""
    facets = [
        (
            name,
            label,
            [
                (f, _link(current, **{name: f.value}), values.get(name) == f.value)
                for f in found.facets[name]
            ],
            _uncounted_note(found.facets[name]),
        )
        for name, label in (
            ("branch", gettext_lazy("Available now at")),
            ("format", gettext_lazy("Format")),
            ("language", gettext_lazy("Language")),
            ("decade", gettext_lazy("Published")),
        )
    ]
    chosen = [
        (_filter_label(name, values[name]), _link(current, **{name: None}))
        for name in FILTER_NAMES
        if values.get(name) not in (None, "")
    ]
    return render(
        request,
        "portal/catalog_results.html",
        {
            "query": query,
            "values": values,
            "page": page,
            "facets": facets,
            "chosen": chosen,
            "sort": sort,
            "sorts": [
                (key, label, _link(current, sort=key))
                for key, label in SORTS.items()
                if query or key != "relevance"
            ],
            "page_link": _link(current) + "&page=",
            "left_out": left_out,
            "isbn": found.isbn,
            "suggestion": suggestion,
            "suggestion_link": _link({**values, "q": suggestion}) if suggestion else "",
        },
    )


class _Counted:
    """A queryset whose count is already known, for the paginator (no second search)."""

    ordered = True

    def __init__(self, titles, count: int):
        self.titles, self._count = titles, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key):
        return self.titles[key]


def _uncounted_note(entries: list[Facet]) -> str:
    """Why a facet lists no counts (the branch facet of a search finding very many)."""
    if not entries or entries[0].count is not None:
        return ""
    return _(
        "Where one of the %(best)s best matches is on the shelf. Choose a branch to see "
        "how many are there."
    ) % {"best": number_format(BRANCHES_COUNTED, force_grouping=True)}


def _filter_label(name: str, value) -> str:
    if name == "format":
        return str(dict(Title.Format.choices).get(value, value))
    if name == "language":
        return language_name(value)
    if name == "decade":
        return _("Published in the %(decade)ss") % {"decade": value}
    if name == "branch":
        branch = Branch.objects.filter(pk=value).first()
        return _("Available now at %(branch)s") % {"branch": branch.name if branch else "?"}
    return _("Subject: %(subject)s") % {"subject": value}


def _home(request):
    newest = Title.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)[:NEW_TITLES]
    new_titles = (
        copy_counts(Title.objects.filter(pk__in=list(newest)))
        .defer("search_text", "summary", "subjects")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "portal/catalog.html",
        {"new_titles": new_titles, "subjects": browse_subjects(), "sorts": SORTS},
    )


def browse_subjects() -> list[tuple[str, int]]:
    """The most used subject headings (their first part: 'Operas' for 'Operas -- Scores'),
    alphabetically, with how many titles have each; recounted every ten minutes."""

    def count() -> list[tuple[str, int]]:
        counter: Counter[str] = Counter()
        for subjects in Title.objects.exclude(subjects="").values_list("subjects", flat=True):
            counter.update({line.split(" -- ")[0].strip() for line in subjects.splitlines()})
        counter.pop("", None)
        return sorted(counter.most_common(SUBJECTS_SHOWN), key=lambda pair: pair[0].casefold())

    return cache.get_or_set("catalog:subjects", count, SUBJECTS_CACHE_SECONDS)


@require_safe
def title_view(request, title_id: int):
    title = get_object_or_404(Title, pk=title_id)
    copies = list(
        Item.objects.filter(title=title)
        .exclude(status=Item.Status.WITHDRAWN)
        .select_related("branch")
        .order_by("branch__name", "call_number", "pk")
    )
    due = dict(
        Loan.objects.filter(item__in=copies, returned_at__isnull=True).values_list(
            "item_id", "due_at"
        )
    )
    for copy in copies:
        copy.due_at = due.get(copy.pk)
        copy.shelf = copy.call_number or title.call_number
    patron = None if request.user.is_authenticated else request.patron
    return render(
        request,
        "portal/title.html",
        {
            "title": title,
            "copies": copies,
            "available": sum(1 for c in copies if c.status == Item.Status.AVAILABLE),
            "holds_queued": Hold.objects.filter(title=title, status=Hold.Status.PLACED).count(),
            "language": language_name(title.language) if title.language else "",
            "patron": patron,
            "branches": Branch.objects.order_by("name"),
            "home_branch_id": patron.home_branch_id if patron else None,
        },
    )


@patron_required
@require_POST
def hold_place_view(request):
    """The title is posted (`title`), never in the URL: a URL is what logs keep."""
    patron = request.patron
    title_id = posted_id(request.POST.get("title", ""))
    if title_id is None:
        raise Http404
    title = get_object_or_404(Title, pk=title_id)
    branch_id = posted_id(request.POST.get("pickup_branch", ""))
    branch = Branch.objects.filter(pk=branch_id).first() if branch_id else None
    if branch is None:
        messages.error(request, _("Choose where you will pick it up."))
        return redirect(reverse("portal:title", args=[title.pk]))
    try:
        services.hold_place(patron=patron, title=title, pickup_branch=branch, actor=patron)
    except Refused as refusal:
        messages.error(request, refusal.message)
        return redirect(reverse("portal:title", args=[title.pk]))
    messages.success(
        request,
        _("Hold placed. We will tell you when it is ready at %(branch)s.")
        % {"branch": branch.name},
    )
    return redirect(reverse("portal:account"))
