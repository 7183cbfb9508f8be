"""manage.py import_patrons on a generated Koha borrowers export of a few thousand rows:
broken rows refused with their row number and a reason each, and then nothing imported
(all or nothing); the file fixed, every row imported (no PIN, reset required), and a
second run changes nothing. A file that is not UTF-8, a malformed or impossible date and
a card that belongs to another patron are refused the same way."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from patrons.models import Card, Patron
from tests.factories import BranchFactory, CardFactory, PatronFactory

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


def koha_export(path, broken=BROKEN, rows=ROWS) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=KOHA)
        writer.writeheader()
        for n in range(rows):
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
            change, _ = broken.get(n, ({}, ""))
            row.update(change)
            writer.writerow(row)


def run(path, *extra) -> str:
    out = io.StringIO()
    call_command("import_patrons", str(path), "--mapping", "koha", *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def branches(db):
    BranchFactory(code="main", name="Main")
    BranchFactory(code="east", name="East")


def refused(path, *extra) -> tuple[str, str]:
    """The report and the error of a run that refused rows."""
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_patrons", str(path), "--mapping", "koha", *extra, stdout=out)
    return out.getvalue(), str(error.value)


def test_broken_rows_are_refused_and_nothing_imported_until_the_file_is_fixed(tmp_path, branches):
    # Already here, the same patron (names as the file has them): left unchanged.
    CardFactory(
        number=f"{29000000000000 + 5:014d}",
        patron=PatronFactory(last_name="Surname5", first_name="Given5", birth_date=None),
    )
    path = tmp_path / "borrowers.csv"
    koha_export(path)

    report, error = refused(path, "--dry-run")
    expected_imported = ROWS - len(BROKEN) - 1
    assert f"{len(BROKEN)} refused: nothing was imported" in error
    assert f"the other {expected_imported} would be imported and 1 are already here" in error

    report, error = refused(path)
    for n, (_, reason) in BROKEN.items():
        assert f"row {n + 2}: refused: {reason}" in report
    assert f"{len(BROKEN)} refused: nothing was imported (an import is all or nothing)" in error
    assert "Surname" not in report + error and "@example.org" not in report + error
    assert Patron.objects.count() == 1  # not the 500 rows before the first broken one

    koha_export(path, broken={})
    dry = run(path, "--dry-run")
    assert f"{ROWS - 1} would be imported, 1 already here (unchanged), 0 refused" in dry
    assert Patron.objects.count() == 1
    report = run(path)
    assert f"{ROWS - 1} imported, 1 already here (unchanged), 0 refused." in report
    assert Patron.objects.count() == ROWS
    imported = Patron.objects.get(cards__number="29000000000003")
    assert imported.pin_hash == "" and imported.pin_must_change
    assert imported.category_id == "adult" and imported.home_branch.code == "main"
    assert Patron.objects.get(cards__number="29000000000101").status == "expired"
    assert Card.objects.get(number="29000000000101").status == "expired"

    counts = (Patron.objects.count(), Card.objects.count())
    again = run(path)
    assert f"0 imported, {ROWS} already here" in again
    assert (Patron.objects.count(), Card.objects.count()) == counts


@pytest.mark.parametrize(
    "date, reason",
    [
        ("1990-01-01garbage", "birth date is not a date (YYYY-MM-DD)"),
        ("19900101", "birth date is not a date (YYYY-MM-DD)"),
        ("1990-02-30", "birth date is not a date of the calendar"),
        ("2999-01-01", "birth date is in the future"),
        ("1850-01-01", "birth date is before 1900"),
    ],
)
def test_a_malformed_or_impossible_birth_date_is_refused(tmp_path, branches, date, reason):
    path = tmp_path / "borrowers.csv"
    koha_export(path, broken={3: ({"dateofbirth": date}, "")}, rows=10)
    report, error = refused(path)
    assert report.strip() == f"row 5: refused: {reason}"
    assert "1 refused: nothing was imported" in error
    assert Patron.objects.count() == 0


def test_a_card_that_belongs_to_another_patron_is_refused_not_unchanged(tmp_path, branches):
    someone = CardFactory(
        number=f"{29000000000000 + 4:014d}",
        patron=PatronFactory(last_name="Lovelace", first_name="Ada"),
    )
    path = tmp_path / "borrowers.csv"
    koha_export(path, rows=10, broken={})
    report, error = refused(path)
    assert report.strip() == "row 6: refused: card number belongs to another patron here"
    assert "Lovelace" not in report + error
    assert Patron.objects.count() == 1
    assert Card.objects.get(number=someone.number).patron == someone.patron


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path, branches):
    path = tmp_path / "borrowers.csv"
    koha_export(path, rows=10, broken={6: ({"surname": "Muñoz"}, "")})
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(CommandError, match=r"Line 8 of the file is not UTF-8 text") as error:
        run(path)
    assert "Nothing was imported" in str(error.value) and "Muñoz" not in str(error.value)
    assert Patron.objects.count() == 0


def test_a_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,card\nA,1\n")
    with pytest.raises(CommandError, match="no column cardnumber"):
        run(path)
