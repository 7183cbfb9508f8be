"""`core.db.in_values`: a long list of keys as one parameter, on SQLite and PostgreSQL,
finds exactly the rows whose key is in the list, whatever the keys hold."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from circulation.models import Branch, Item
from core.db import in_values
from tests.factories import BranchFactory, ItemFactory

pytestmark = pytest.mark.django_db


def test_numbers_find_their_rows_and_no_others():
    branches = [BranchFactory() for _ in range(5)]
    wanted = [branches[0].pk, branches[3].pk, branches[4].pk]
    found = Branch.objects.filter(pk__in=in_values(wanted)).values_list("pk", flat=True)
    assert sorted(found) == sorted(wanted)
    assert not Branch.objects.filter(pk__in=in_values([])).exists()


def test_numbers_that_are_not_numbers_are_refused_before_any_query():
    with pytest.raises(ValueError):
        list(Branch.objects.filter(pk__in=in_values(["1", "2); DROP TABLE x; --"])))


@pytest.mark.parametrize(
    "barcodes",
    [
        ["31000001", "31000002"],
        ["with,comma", "plain"],  # the separator inside a value
        ["", "plain"],  # an empty value
        ["quote'and\\backslash", "ünïcode"],
    ],
)
def test_text_finds_exactly_the_values_given(barcodes):
    for barcode in [*barcodes, "other", "with", "comma"]:
        ItemFactory(barcode=barcode) if barcode else None
    found = Item.objects.filter(barcode__in=in_values(barcodes, sql_type="text"))
    assert sorted(found.values_list("barcode", flat=True)) == sorted(b for b in barcodes if b)


def test_numbers_as_json_find_the_entries_with_that_key():
    """A JSON key compared with the list: the audit entries naming these patrons."""
    kind = ContentType.objects.get_for_model(Branch)
    for patron in (7, 8, 9, 70):
        LogEntry.objects.create(
            content_type=kind, object_pk="1", object_repr="x", action=LogEntry.Action.ACCESS,
            additional_data={"patron": patron, "served": "desk"},
        )  # fmt: skip
    found = LogEntry.objects.filter(additional_data__patron__in=in_values([7, 9, 70], json=True))
    assert sorted(e.additional_data["patron"] for e in found) == [7, 9, 70]
    assert not LogEntry.objects.filter(additional_data__patron__in=in_values([1], json=True))
