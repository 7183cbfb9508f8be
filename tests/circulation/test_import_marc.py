"""`manage.py import_marc`: files built with pymarc (valid, duplicate, broken, MARCXML)."""

from io import StringIO

import pymarc
import pytest
from django.core.management import CommandError, call_command
from pymarc import Field, Record, Subfield
from stdnum import ean

from circulation.models import Branch, Item, Title

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def branches():
    Branch.objects.create(code="main", name="Central Library")
    Branch.objects.create(code="east", name="Eastside Branch")


def valid_isbn(n: int) -> str:
    first = f"978{n:09d}"
    return first + ean.calc_check_digit(first)


def make_record(n: int, *, control=True, isbn=None, with_title=True, branch="MAIN") -> Record:
    record = Record()
    if control:
        record.add_field(Field(tag="001", data=f"ocm{n:08d}"))
    record.add_field(
        Field(
            tag="020",
            indicators=[" ", " "],
            subfields=[Subfield("a", isbn or f"{valid_isbn(n)} (pbk.)")],
        )
    )
    record.add_field(
        Field(tag="100", indicators=["1", " "], subfields=[Subfield("a", f"Writer, Number {n},")])
    )
    if with_title:
        record.add_field(
            Field(
                tag="245",
                indicators=["1", "0"],
                subfields=[Subfield("a", f"Lake stories {n} :"), Subfield("b", "a collection /")],
            )
        )
    record.add_field(
        Field(tag="264", indicators=[" ", "1"], subfields=[Subfield("c", f"©{1990 + n % 30}.")])
    )
    record.add_field(Field(tag="082", indicators=["0", "4"], subfields=[Subfield("a", "813.54")]))
    record.add_field(
        Field(
            tag="952",
            indicators=[" ", " "],
            subfields=[
                Subfield("a", branch),
                Subfield("b", branch),
                Subfield("p", f"39{n:010d}"),
                Subfield("y", "BK"),
                Subfield("v", "24.95"),
            ],
        )
    )
    return record


def write_mrc(path, records):
    with open(path, "wb") as handle:
        for record in records:
            handle.write(record if isinstance(record, bytes) else record.as_marc())
    return path


def run(*files, **kwargs):
    out, err = StringIO(), StringIO()
    call_command("import_marc", *[str(f) for f in files], stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def test_a_binary_file_imports_titles_and_items(tmp_path):
    out, _err = run(write_mrc(tmp_path / "a.mrc", [make_record(1), make_record(2)]))
    assert out.strip() == "Imported 2, updated 0, merged 0, skipped 0."
    title = Title.objects.get(control_number="ocm00000001")
    assert title.title == "Lake stories 1: a collection"
    assert title.author == "Writer, Number 1"
    assert title.isbn == valid_isbn(1)
    assert title.publication_year == 1991
    assert title.call_number == "813.54"
    item = Item.objects.get(barcode="390000000001")
    assert item.title == title and item.branch.code == "main" and str(item.price) == "24.95"


def test_importing_the_same_file_twice_creates_no_duplicates(tmp_path):
    path = write_mrc(tmp_path / "a.mrc", [make_record(1), make_record(2)])
    run(path)
    out, _ = run(path)
    assert out.strip() == "Imported 0, updated 2, merged 0, skipped 0."
    assert Title.objects.count() == 2 and Item.objects.count() == 2


def test_a_record_without_001_matches_on_isbn(tmp_path):
    run(write_mrc(tmp_path / "a.mrc", [make_record(5)]))
    out, _ = run(write_mrc(tmp_path / "b.mrc", [make_record(5, control=False)]))
    merged, summary = out.strip().splitlines()
    assert merged.endswith(
        f"b.mrc:record 1 (ISBN {valid_isbn(5)}): merged into Title #{Title.objects.get().pk} "
        "'Lake stories 5: a collection' (same ISBN)"
    )
    assert summary == "Imported 0, updated 0, merged 1, skipped 0."
    assert Title.objects.count() == 1


def test_a_broken_record_is_reported_with_its_position_and_the_rest_imported(tmp_path):
    good1, good3 = make_record(1).as_marc(), make_record(3).as_marc()
    broken = bytearray(make_record(2).as_marc())
    broken[0:5] = b"99999"  # a record length that lies
    broken[12:17] = b"abcde"  # and a base address that is not a number
    out, err = run(write_mrc(tmp_path / "a.mrc", [good1, bytes(broken), good3]))
    assert "skipped 1" in out or "skipped 2" in out
    assert Title.objects.filter(control_number="ocm00000001").exists()
    assert "a.mrc:record 2:" in err


def test_a_record_without_a_title_is_skipped_with_the_reason(tmp_path):
    out, err = run(
        write_mrc(tmp_path / "a.mrc", [make_record(1), make_record(2, with_title=False)])
    )
    assert out.strip() == "Imported 1, updated 0, merged 0, skipped 1."
    assert "record 2: no title (245)" in err


def test_an_unknown_branch_is_reported_and_its_item_not_created(tmp_path):
    out, err = run(write_mrc(tmp_path / "a.mrc", [make_record(1, branch="NOWHERE")]))
    assert out.strip() == "Imported 1, updated 0, merged 0, skipped 0."
    assert "unknown branch code 'NOWHERE'" in err
    assert not Item.objects.exists()


def test_marcxml_imports_too(tmp_path):
    path = tmp_path / "a.xml"
    with open(path, "wb") as handle:
        writer = pymarc.XMLWriter(handle)
        writer.write(make_record(7))
        writer.close(close_fh=False)
    out, _ = run(path)
    assert out.strip() == "Imported 1, updated 0, merged 0, skipped 0."
    assert Title.objects.get().control_number == "ocm00000007"


def test_a_malformed_xml_file_is_reported_not_a_crash(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text("<collection><record><leader>broken")
    _out, err = run(path)
    assert "bad.xml:record 0: not readable as MARCXML" in err


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_marc", str(tmp_path / "nope.mrc"))


def test_a_dry_run_saves_nothing(tmp_path):
    out, _ = run(write_mrc(tmp_path / "a.mrc", [make_record(1)]), dry_run=True)
    assert "dry run" in out
    assert not Title.objects.exists()


def test_hundreds_of_records(tmp_path):
    out, _ = run(write_mrc(tmp_path / "big.mrc", [make_record(n) for n in range(500)]))
    assert out.strip() == "Imported 500, updated 0, merged 0, skipped 0."
    assert Item.objects.count() == 500
