"""The MARC catalog import (`circulation/marc/importer.py`, `manage.py import_marc`).

Files are built with pymarc: valid, duplicate, broken and MARCXML.
"""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pymarc
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from pymarc import Field, Record, Subfield
from stdnum import ean

from circulation.marc import importer as marc
from circulation.marc.importer import Progress, marc_import
from circulation.models import Branch, Item, Title

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def branches() -> dict[str, Branch]:
    return {
        "main": Branch.objects.create(code="main", name="Central Library"),
        "east": Branch.objects.create(code="east", name="Eastside Branch"),
    }


def sf(**codes: str) -> list[Subfield]:
    return [Subfield(code, value) for code, value in codes.items()]


def holding(barcode: str, branch: str = "MAIN", **extra: str) -> Field:
    """A Koha 952: $a home branch, $b holding branch, $p barcode, and the rest."""
    return Field(
        tag="952", indicators=[" ", " "], subfields=sf(a=branch, b=branch, p=barcode, **extra)
    )


def valid_isbn(n: int) -> str:
    """An ISBN-13 with a correct check digit: 978-1-nnnnnnnn-c."""
    first = f"9781{n:08d}"
    return first + ean.calc_check_digit(first)


def make_record(
    n: int,
    *,
    control: str | None = "auto",
    isbn: str | None = "auto",
    title: bool = True,
    items: list[Field] | None = None,
) -> Record:
    record = Record()
    if control:
        record.add_field(Field(tag="001", data=f"cal{n:06d}" if control == "auto" else control))
    if isbn:
        value = f"{valid_isbn(n)} (pbk.)" if isbn == "auto" else isbn
        record.add_field(Field(tag="020", indicators=[" ", " "], subfields=sf(a=value)))
    record.add_field(
        Field(tag="050", indicators=["0", "0"], subfields=sf(a="PS3545.H16", b="T6 1990"))
    )
    record.add_field(
        Field(tag="100", indicators=["1", " "], subfields=sf(a=f"Writer, Ann {n},", d="1950-"))
    )
    if title:
        record.add_field(
            Field(
                tag="245",
                indicators=["1", "0"],
                subfields=sf(a=f"Lake stories {n} :", b="a collection /", c="by Ann Writer."),
            )
        )
    record.add_field(
        Field(tag="264", indicators=[" ", "4"], subfields=sf(c="©1989")),
    )
    record.add_field(
        Field(
            tag="264", indicators=[" ", "1"], subfields=sf(a="Chicago :", b="Lakeside,", c="[1991]")
        ),
    )
    for fld in items if items is not None else [holding(f"3900{n:08d}", y="BK", v="24.95")]:
        record.add_field(fld)
    return record


def write_mrc(path: Path, records: list[Record | bytes]) -> Path:
    path.write_bytes(b"".join(r if isinstance(r, bytes) else r.as_marc() for r in records))
    return path


def write_xml(path: Path, records: list[Record]) -> Path:
    body = b"".join(pymarc.record_to_xml(r, namespace=False) for r in records)
    path.write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + body + b"</collection>\n"
    )
    return path


def run(*files: Path, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_marc", *map(str, files), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def summary_line(out: str) -> str:
    return out.strip().splitlines()[-1]


# --- what a record becomes ---------------------------------------------------------------


def test_a_binary_file_imports_titles_and_items_with_their_fields(tmp_path, branches):
    record = make_record(
        1,
        items=[
            holding("39000000000001", "MAIN", y="BK", o="FIC WRI", v="24.95"),
            holding("39000000000002", "East", y="DVD", g="$19.99"),
        ],
    )
    out, err = run(write_mrc(tmp_path / "a.mrc", [record, make_record(2)]))

    assert summary_line(out) == "Imported 2, updated 0, merged 0, skipped 0."
    assert err == ""
    title = Title.objects.get(control_number="cal000001")
    assert title.title == "Lake stories 1: a collection"
    assert title.author == "Writer, Ann 1"
    assert title.isbn == valid_isbn(1)
    assert title.publication_year == 1991  # 264 with indicator 2 = 1, not the © date
    assert title.call_number == "PS3545.H16 T6 1990"
    book, dvd = title.items.order_by("barcode")
    assert (book.barcode, book.branch, book.item_type) == (
        "39000000000001",
        branches["main"],
        "book",
    )
    assert (book.call_number, book.price, book.status) == ("FIC WRI", Decimal("24.95"), "available")
    assert (dvd.branch, dvd.item_type, dvd.price) == (branches["east"], "dvd", Decimal("19.99"))
    assert dvd.call_number == title.call_number  # no 952 $o: the title's call number
    assert Title.objects.count() == 2 and Item.objects.count() == 3


def test_fallbacks_260_year_082_call_number_110_author_and_first_valid_isbn(tmp_path):
    record = Record()
    record.add_field(Field(tag="001", data="x1"))
    record.add_field(Field(tag="020", indicators=[" ", " "], subfields=sf(a="(set)", q="pbk.")))
    record.add_field(Field(tag="020", indicators=[" ", " "], subfields=sf(a="0-8453-4811-6")))
    record.add_field(Field(tag="082", indicators=["0", "4"], subfields=sf(a="813/.54")))
    record.add_field(
        Field(tag="110", indicators=["2", " "], subfields=sf(a="Calumet Society.", b="Archives."))
    )
    record.add_field(Field(tag="245", indicators=["0", "0"], subfields=sf(a="Annual report.")))
    record.add_field(Field(tag="260", indicators=[" ", " "], subfields=sf(c="c2005.")))
    record.add_field(Field(tag="520", indicators=[" ", " "], subfields=sf(a="What the year held.")))
    run(write_mrc(tmp_path / "a.mrc", [record]))

    title = Title.objects.get()
    assert (title.title, title.author) == ("Annual report", "Calumet Society. Archives")
    assert (title.isbn, title.publication_year) == ("0845348116", 2005)
    assert title.call_number == "813.54"
    assert title.summary == "What the year held."


def test_092_call_number_and_008_year_when_nothing_better(tmp_path):
    record = Record()
    record.add_field(Field(tag="008", data="850101s1985    ilu           000 0 eng d"))
    record.add_field(Field(tag="092", indicators=[" ", " "], subfields=sf(a="FIC", b="SMI")))
    record.add_field(Field(tag="245", indicators=["0", "0"], subfields=sf(a="Quiet water")))
    run(write_mrc(tmp_path / "a.mrc", [record]))
    title = Title.objects.get()
    assert (title.call_number, title.publication_year) == ("FIC SMI", 1985)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Lake stories :", "Lake stories"),
        ("a collection /", "a collection"),
        ("Writer, Ann,", "Writer, Ann"),
        ("Emma.", "Emma"),
        ("Tolkien, J. R. R.", "Tolkien, J. R. R."),
        ("And then...", "And then..."),
        ("  Spaced   out ;  ", "Spaced out"),
    ],
)
def test_isbd_punctuation_is_removed(raw, clean):
    assert marc.clean(raw) == clean


@pytest.mark.parametrize(
    ("raw", "isbn"),
    [
        ("978-0-14-143951-8 (pbk.)", "9780141439518"),
        ("0845348116 (pbk. : alk. paper)", "0845348116"),
        ("080442957x", "080442957X"),
        ("(pbk.)", ""),
        ("12345", ""),
    ],
)
def test_isbn_loses_qualifiers_and_hyphens(raw, isbn):
    assert marc.isbn_from(raw) == isbn


@pytest.mark.parametrize(
    ("code", "item_type"),
    [
        ("BK", "book"),
        ("book", "book"),
        ("DVD", "dvd"),
        ("JDVD", "dvd"),
        ("AUD", "audiobook"),
        ("CD", "audiobook"),
        ("LP", "large_print"),
        ("SER", "magazine"),
        ("REALIA", "book"),
        ("", "book"),
    ],
)
def test_item_types_are_mapped_loosely(code, item_type):
    assert marc.item_type_for(code) == item_type


@pytest.mark.parametrize(
    ("raw", "price"),
    [
        ("24.95", Decimal("24.95")),
        ("$24.95", Decimal("24.95")),
        ("24,95 EUR", Decimal("24.95")),
        ("1,024.50", Decimal("1024.50")),
        ("free", None),
        ("123456789", None),  # would not fit the column
    ],
)
def test_prices_are_read_when_numeric(raw, price):
    assert marc.price_from(raw) == price


# --- formats -------------------------------------------------------------------------------


def test_the_audience_is_imported_and_a_reimport_fills_it(tmp_path, branches):
    """008/22 (target audience) j: juvenile; a record without an 008 leaves it unknown,
    and re-importing the record with its 008 fills it."""
    kids = make_record(1)
    kids.leader = kids.leader[:6] + "am" + kids.leader[8:]
    kids.add_field(Field(tag="008", data="930101s1991    ilu" + " " * 4 + "j" + " " * 12 + "eng d"))
    run(write_mrc(tmp_path / "a.mrc", [kids, make_record(2)]))
    assert Title.objects.get(control_number="cal000001").audience == Title.Audience.CHILDREN
    assert Title.objects.get(control_number="cal000002").audience == Title.Audience.UNKNOWN
    again = make_record(2, items=[])
    again.leader = again.leader[:6] + "am" + again.leader[8:]
    again.add_field(
        Field(tag="008", data="930101s1991    ilu" + " " * 4 + "d" + " " * 12 + "eng d")
    )
    run(write_mrc(tmp_path / "b.mrc", [again]))
    assert Title.objects.get(control_number="cal000002").audience == Title.Audience.YOUNG_ADULT


def test_a_marcxml_file_imports_the_same_way(tmp_path, branches):
    out, err = run(write_xml(tmp_path / "a.xml", [make_record(1), make_record(2)]))
    assert summary_line(out) == "Imported 2, updated 0, merged 0, skipped 0."
    assert err == ""
    title = Title.objects.get(control_number="cal000002")
    assert title.title == "Lake stories 2: a collection"
    assert (title.isbn, title.publication_year) == (valid_isbn(2), 1991)
    assert title.items.get().branch == branches["main"]


def test_the_format_is_recognised_by_content_not_by_name(tmp_path):
    xml_named_mrc = write_xml(tmp_path / "export.mrc", [make_record(1)])
    binary_named_xml = write_mrc(tmp_path / "export.xml", [make_record(2)])
    out, err = run(xml_named_mrc, binary_named_xml)
    assert summary_line(out) == "Imported 2, updated 0, merged 0, skipped 0."
    assert err == ""


def test_blank_lines_between_binary_records_are_not_records(tmp_path):
    data = make_record(1).as_marc() + b"\r\n" + make_record(2).as_marc() + b"\n"
    path = tmp_path / "a.mrc"
    path.write_bytes(data)
    out, err = run(path)
    assert summary_line(out) == "Imported 2, updated 0, merged 0, skipped 0."
    assert err == ""


def test_stray_terminators_and_nul_bytes_at_the_end_are_not_records(tmp_path):
    path = tmp_path / "a.mrc"
    path.write_bytes(make_record(1).as_marc() + b"\x1d\x1d\x00")  # as in real exports
    out, err = run(path)
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 0."
    assert err == ""


def test_a_marc8_record_that_is_not_utf8_is_read_as_marc8(tmp_path):
    record = Record()
    record.add_field(Field(tag="245", indicators=["0", "0"], subfields=sf(a="CafXe")))
    data = record.as_marc()
    data = data[:9] + b" " + data[10:]  # leader/09 blank: MARC-8
    path = tmp_path / "a.mrc"
    path.write_bytes(data.replace(b"Xe", b"\xe2e"))  # MARC-8 acute accent before its letter
    out, err = run(path)
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 0."
    assert err == ""
    assert Title.objects.get().title == "Caf\u00e9"


def test_a_malformed_xml_file_is_reported_and_skipped_and_the_next_file_imported(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<collection><record><leader>00000nam a2200000 a 4500</leader><datafield tag="245"'
    )
    good = write_mrc(tmp_path / "good.mrc", [make_record(1)])
    out, err = run(bad, good)
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 0."
    assert f"{bad}:record 0: not readable as MARCXML" in err
    assert "file skipped" in err
    assert Title.objects.count() == 1


# --- matching --------------------------------------------------------------------------------


def test_importing_the_same_file_twice_creates_no_duplicates(tmp_path):
    path = write_mrc(tmp_path / "a.mrc", [make_record(n) for n in range(1, 4)])
    run(path)
    out, err = run(path)
    assert summary_line(out) == "Imported 0, updated 3, merged 0, skipped 0."
    assert err == ""
    assert Title.objects.count() == 3 and Item.objects.count() == 3


def test_a_re_import_updates_the_fields_it_has(tmp_path, branches):
    run(write_mrc(tmp_path / "a.mrc", [make_record(1)]))
    changed = make_record(1, items=[holding("390000000001", "EAST", y="LP", v="30")])
    changed["245"]["a"] = "Lake stories, revised :"
    run(write_mrc(tmp_path / "b.mrc", [changed]))
    title = Title.objects.get()
    assert title.title == "Lake stories, revised: a collection"
    item = Item.objects.get()
    assert (item.branch, item.item_type, item.price) == (branches["east"], "large_print", 30)


@pytest.mark.parametrize("control", [None, "other-system-42"])
def test_a_record_matches_on_isbn_when_its_001_is_absent_or_differs(tmp_path, control):
    run(write_mrc(tmp_path / "a.mrc", [make_record(5)]))
    out, _ = run(write_mrc(tmp_path / "b.mrc", [make_record(5, control=control)]))
    assert summary_line(out) == "Imported 0, updated 0, merged 1, skipped 0."
    title = Title.objects.get()
    assert title.control_number == "cal000005"  # the control number it had is kept


def test_a_record_matches_on_001_even_when_the_isbn_changed(tmp_path):
    run(write_mrc(tmp_path / "a.mrc", [make_record(5)]))
    out, _ = run(write_mrc(tmp_path / "b.mrc", [make_record(5, isbn="9780141439518")]))
    assert summary_line(out) == "Imported 0, updated 1, merged 0, skipped 0."
    assert Title.objects.get().isbn == "9780141439518"


def test_a_barcode_of_another_title_is_reported_and_left_alone(tmp_path):
    run(write_mrc(tmp_path / "a.mrc", [make_record(1, items=[holding("111")])]))
    out, err = run(write_mrc(tmp_path / "b.mrc", [make_record(2, items=[holding("111")])]))
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 0."
    assert (
        f"b.mrc:record 1 (ISBN {valid_isbn(2)}): item 111: the barcode belongs to another title"
        in err
    )
    assert Item.objects.get(barcode="111").title.control_number == "cal000001"


def test_a_re_import_never_changes_an_items_status(tmp_path):
    path = write_mrc(tmp_path / "a.mrc", [make_record(1)])
    run(path)
    Item.objects.update(status=Item.Status.ON_LOAN)
    run(path)
    assert Item.objects.get().status == Item.Status.ON_LOAN


def test_koha_withdrawn_and_lost_flags_set_a_new_items_status(tmp_path):
    items = [holding("1", **{"0": "1"}), holding("2", **{"1": "2"}), holding("3", **{"0": "0"})]
    run(write_mrc(tmp_path / "a.mrc", [make_record(1, items=items)]))
    statuses = dict(Item.objects.values_list("barcode", "status"))
    assert statuses == {"1": "withdrawn", "2": "lost", "3": "available"}


# --- problems --------------------------------------------------------------------------------


def _corrupt_length(data: bytearray) -> None:
    data[0:5] = b"12x45"


def _corrupt_length_too_long(data: bytearray) -> None:
    data[0:5] = b"99999"


def _corrupt_directory(data: bytearray) -> None:
    data[24:30] = b"XXXXXX"


@pytest.mark.parametrize("corrupt", [_corrupt_length, _corrupt_length_too_long, _corrupt_directory])
def test_a_broken_record_is_reported_with_its_position_and_the_others_imported(tmp_path, corrupt):
    broken = bytearray(make_record(2).as_marc())
    corrupt(broken)
    path = write_mrc(tmp_path / "a.mrc", [make_record(1), bytes(broken), make_record(3)])
    out, err = run(path)

    assert summary_line(out) == "Imported 2, updated 0, merged 0, skipped 1."
    assert f"{path}:record 2: broken record at byte " in err
    assert len(err.strip().splitlines()) == 1
    assert set(Title.objects.values_list("control_number", flat=True)) == {
        "cal000001",
        "cal000003",
    }


def test_a_truncated_last_record_is_reported(tmp_path):
    path = tmp_path / "a.mrc"
    path.write_bytes(make_record(1).as_marc() + make_record(2).as_marc()[:60])
    out, err = run(path)
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 1."
    assert "a.mrc:record 2: broken record" in err


def test_a_record_without_a_title_is_skipped_with_the_reason(tmp_path):
    path = write_mrc(tmp_path / "a.mrc", [make_record(1), make_record(2, title=False)])
    out, err = run(path)
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 1."
    assert f"{path}:record 2: no title (245)" in err
    assert not Item.objects.filter(barcode="390000000002").exists()


def test_an_unknown_branch_is_reported_and_the_record_still_imported(tmp_path):
    items = [holding("1", "MAIN"), holding("2", "NOWHERE")]
    path = write_mrc(tmp_path / "a.mrc", [make_record(1, items=items)])
    out, err = run(path)
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 0."
    assert (
        f"{path}:record 1 (ISBN {valid_isbn(1)}): "
        "item 2: unknown branch code 'NOWHERE'; item not created" in err
    )
    assert list(Item.objects.values_list("barcode", flat=True)) == ["1"]


def test_a_holding_without_a_barcode_is_reported(tmp_path):
    no_barcode = Field(tag="952", indicators=[" ", " "], subfields=sf(a="MAIN", y="BK"))
    out, err = run(write_mrc(tmp_path / "a.mrc", [make_record(1, items=[no_barcode])]))
    assert summary_line(out) == "Imported 1, updated 0, merged 0, skipped 0."
    assert f"record 1 (ISBN {valid_isbn(1)}): a 952 holding has no barcode ($p)" in err


def test_a_record_that_fails_to_save_leaves_nothing_behind(tmp_path, monkeypatch):
    save_items = marc._save_items

    def failing(record, title, branches, counts):
        notes = save_items(record, title, branches, counts)
        if title.control_number == "cal000002":
            raise DatabaseError("disk full")
        return notes

    monkeypatch.setattr(marc, "_save_items", failing)
    path = write_mrc(tmp_path / "a.mrc", [make_record(n) for n in (1, 2, 3)])
    assert marc_import(paths=[path], actor=None, dry_run=True).items_created == 2
    out, err = run(path)
    assert summary_line(out) == "Imported 2, updated 0, merged 0, skipped 1."
    assert (
        f"{path}:record 2 (ISBN {valid_isbn(2)}): "
        "could not be saved: disk full (DatabaseError); skipped" in err
    )
    assert not Title.objects.filter(control_number="cal000002").exists()
    assert not Item.objects.filter(barcode="390000000002").exists()  # its item rolled back too


# --- the command -----------------------------------------------------------------------------


def test_a_missing_file_is_a_clear_error(tmp_path):
    good = write_mrc(tmp_path / "a.mrc", [make_record(1)])
    with pytest.raises(CommandError, match=r"No such file: .*nope\.mrc"):
        call_command("import_marc", str(good), str(tmp_path / "nope.mrc"))
    assert not Title.objects.exists()  # nothing imported before the check


def test_a_dry_run_reports_and_saves_nothing(tmp_path):
    out, _err = run(write_mrc(tmp_path / "a.mrc", [make_record(1), make_record(2)]), dry_run=True)
    assert (
        summary_line(out) == "Imported 2, updated 0, merged 0, skipped 0. (dry run: nothing saved)"
    )
    assert not Title.objects.exists() and not Item.objects.exists()


def test_no_progress_when_output_is_not_a_terminal(tmp_path):
    _, err = run(write_mrc(tmp_path / "a.mrc", [make_record(n) for n in range(150)]))
    assert "\r" not in err


def test_progress_on_a_terminal_is_one_line_rewritten_in_place(tmp_path):
    class Terminal(StringIO):
        def isatty(self) -> bool:
            return True

    out, err = Terminal(), StringIO()
    path = write_mrc(tmp_path / "a.mrc", [make_record(n) for n in range(250)])
    call_command("import_marc", str(path), stdout=out, stderr=err)
    assert summary_line(out.getvalue()) == "Imported 250, updated 0, merged 0, skipped 0."
    shown = err.getvalue()
    assert "\n" not in shown
    assert "100 records read" in shown and "200 records read" in shown
    assert "[" + "#" * 30 + "] 100%  250 records read" in shown


def test_the_service_reports_progress_per_record(tmp_path):
    seen: list[Progress] = []
    path = write_mrc(tmp_path / "a.mrc", [make_record(n) for n in range(5)])
    result = marc_import(paths=[path], actor=None, progress=seen.append)
    assert (result.imported, result.items_created) == (5, 5)
    assert [p.records for p in seen] == [1, 2, 3, 4, 5]
    assert seen[-1].fraction == 1.0 and all(p.path == path for p in seen)


def test_the_service_takes_the_staff_user_as_actor(tmp_path, superuser):
    path = write_mrc(tmp_path / "a.mrc", [make_record(1)])
    result = marc_import(paths=[path], actor=superuser)
    assert (result.imported, result.updated, result.skipped, result.problems) == (1, 0, 0, [])


def test_five_hundred_records_import_with_a_few_queries_each(tmp_path):
    """The import's work per record stays the same whatever the file's size (its speed is
    measured in bench/, not here): a handful of queries a record, not a number that grows
    with the catalog."""
    path = write_mrc(tmp_path / "big.mrc", [make_record(n) for n in range(500)])
    with CaptureQueriesContext(connection) as queries:
        out, err = run(path)

    assert summary_line(out) == "Imported 500, updated 0, merged 0, skipped 0."
    assert err == ""
    assert Title.objects.count() == 500 and Item.objects.count() == 500
    # At most 8 a record, and a few once (the branches, the import's own setup).
    assert len(queries.captured_queries) <= 8 * 500 + 10, len(queries.captured_queries)
