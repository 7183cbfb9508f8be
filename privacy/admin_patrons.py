"""A patron on a staff page is named by the masked card in use, linking to their page,
never by "Patron #12" (the opaque `__str__` the audit log keeps). `PatronShownByCard` does
it for a ModelAdmin or inline whose model links to a patron (`patron_field`): its list
column, its read-only field (and the whole form when the staff member may only view),
and the choices of its patron field. The patron model is known only by what it offers
(`card_label`, `cards_in_use_prefetch`): privacy sits below the patrons room."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html


def patron_label(patron) -> str:
    """ "card …0001" (or "no card in use")."""
    return getattr(patron, "card_label", None) or "a patron"


def patron_link(patron) -> str:
    """The masked card, linking to the patron's page."""
    if patron is None:
        return "—"
    meta = patron._meta
    try:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[patron.pk])
    except NoReverseMatch:
        return patron_label(patron)
    return format_html('<a href="{}">{}</a>', url, patron_label(patron))


def _swap(names, old: str, new: str):
    """`names` (a tuple of field names, possibly with tuples in it) with `old` replaced by
    `new` and later repeats of `new` dropped."""
    seen = False
    out = []
    for name in names:
        if isinstance(name, list | tuple):
            inner = []
            for part in name:
                part = new if part == old else part
                if part == new:
                    if seen:
                        continue
                    seen = True
                inner.append(part)
            if inner:
                out.append(tuple(inner))
            continue
        name = new if name == old else name
        if name == new:
            if seen:
                continue
            seen = True
        out.append(name)
    return type(names)(out) if isinstance(names, tuple) else out


def shown_by_card(names, field: str = "patron"):
    """Field names with the patron's replaced by its masked-card display (`patron_card`),
    for an admin whose own `get_fields`/`get_readonly_fields` name the patron."""
    return _swap(names, field, "patron_card")


class PatronShownByCard:
    """Mixin (before admin.ModelAdmin or an inline) for a model with a patron foreign key."""

    patron_field = "patron"

    def _patron_model(self):
        try:
            return self.model._meta.get_field(self.patron_field).related_model
        except FieldDoesNotExist:
            return None

    def _patron_fixed(self, request, obj=None) -> bool:
        """The patron is shown, not chosen: on an existing record (whose patron never
        changes: a loan, a hold, a card, a block, a legal hold), or where it is read-only."""
        if self._patron_model() is None:
            return False
        return obj is not None or self.patron_field in super().get_readonly_fields(request, obj)

    # The column of a list.
    def get_list_display(self, request):
        names = super().get_list_display(request)
        if self._patron_model() is None:
            return names
        return tuple("patron_card" if name == self.patron_field else name for name in names)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        prefetch = getattr(self._patron_model(), "cards_in_use_prefetch", None)
        if prefetch is not None:
            queryset = queryset.prefetch_related(prefetch(self.patron_field))
        return queryset

    @admin.display(description="Patron", ordering="patron")
    def patron_card(self, obj):
        return patron_link(getattr(obj, self.patron_field, None))

    # The change page.
    def get_readonly_fields(self, request, obj=None):
        names = tuple(super().get_readonly_fields(request, obj))
        if self._patron_fixed(request, obj):
            names = _swap(names, self.patron_field, "patron_card")
            if "patron_card" not in names:
                names += ("patron_card",)
        return names

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._patron_fixed(request, obj):
            fields = _swap(list(fields), self.patron_field, "patron_card")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._patron_fixed(request, obj):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": _swap(tuple(options["fields"]), self.patron_field, "patron_card"),
                },
            )
            for name, options in fieldsets
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == self.patron_field:
            field.label_from_instance = patron_label
        return field
