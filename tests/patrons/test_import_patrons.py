"""manage.py import_patrons on a generated Koha borrowers export of a few thousand rows,
some broken: the good rows imported (no PIN, reset required), the broken ones refused
with a reason each, and a second run changes nothing."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from patrons.models import Card, Patron
from tests.factories import BranchFactory, CardFactory

pytestmark = pytest.mark.django_db

KOHA = [
    "cardnumber", "surname", "firstname", "email", "phone", "address", "city", "zipcode",
    "dateofbirth", "categorycode", "branchcode", "dateexpiry",
]  # fmt: skip
ROWS = 3000
BROKEN = {  # row index -> (what to change, the reason expected)
    10: ({"cardnumber": "12345"}, "card number is not 14 digits"),
    20: ({"surname": ""}, "no last name"),
    30: ({"dateofbirth": "31/12/1980"}, "birth date is not a date"),
    40: ({"categorycode": "WIZARD"}, "unknown patron category"),
    50: ({"branchcode": "NOWHERE"}, "unknown branch code"),
    60: ({"email": "not-an-email"}, "email address is not valid"),
    70: ({"cardnumber": "29000000000005"}, "card number appears twice"),
    80: ({"firstname": "x" * 150}, "first name is longer than 100"),
}


def koha_export(path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=KOHA)
        writer.writeheader()
        for n in range(ROWS):
            row = {
                "cardnumber": f"{29000000000000 + n:014d}",
                "surname": f"Surname{n}",
                "firstname": f"Given{n}",
                "email": f"p{n}@example.org" if n % 3 else "",
                "phone": "555-0100",
                "address": f"{n} Main Street",
                "city": "Calumet City",
                "zipcode": "60409",
                "dateofbirth": "1980-02-29" if n % 2 else "",
                "categorycode": ["ADULT", "child", "Senior"][n % 3],
                "branchcode": "MAIN" if n % 2 else "east",
                "dateexpiry": "2019-01-01" if n % 100 == 1 else "",
            }
            change, _ = BROKEN.get(n, ({}, ""))
            row.update(change)
            writer.writerow(row)


def run(path, *extra) -> str:
    out = io.StringIO()
    call_command("import_patrons", str(path), "--mapping", "koha", *extra, stdout=out)
    return out.getvalue()


def test_import_refuses_broken_rows_and_a_second_run_changes_nothing(tmp_path):
    BranchFactory(code="main", name="Main")
    BranchFactory(code="east", name="East")
    CardFactory(number=f"{29000000000000 + 5:014d}")  # already here: left unchanged
    path = tmp_path / "borrowers.csv"
    koha_export(path)

    dry = run(path, "--dry-run")
    assert Patron.objects.count() == 1
    expected_imported = ROWS - len(BROKEN) - 1
    assert f"{expected_imported} would be imported, 1 already here" in dry

    report = run(path)
    assert f"{expected_imported} imported, 1 already here (unchanged), {len(BROKEN)} refused" in (
        report
    )
    for n, (_, reason) in BROKEN.items():
        assert f"row {n + 2}: refused: {reason}" in report
    assert "Surname" not in report and "@example.org" not in report
    assert Patron.objects.count() == expected_imported + 1
    imported = Patron.objects.get(cards__number="29000000000003")
    assert imported.pin_hash == "" and imported.pin_must_change
    assert imported.category_id == "adult" and imported.home_branch.code == "main"
    assert Patron.objects.get(cards__number="29000000000101").status == "expired"
    assert Card.objects.get(number="29000000000101").status == "expired"

    counts = (Patron.objects.count(), Card.objects.count())
    again = run(path)
    assert f"0 imported, {expected_imported + 1} already here" in again
    assert (Patron.objects.count(), Card.objects.count()) == counts


def test_a_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,card\nA,1\n")
    with pytest.raises(CommandError, match="no column cardnumber"):
        run(path)
