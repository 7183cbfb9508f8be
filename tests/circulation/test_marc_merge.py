"""MARC import: matching on control number with its source, merging other descriptions of
the same book on ISBN-10/ISBN-13, the fields the catalog search uses, and pymarc's
complaints as readable per-record messages."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pymarc import Field, Leader, Record, Subfield

from circulation.marc import fields as marc_fields
from circulation.marc.importer import marc_import
from circulation.models import Title

pytestmark = pytest.mark.django_db


def book(
    *,
    control="c1",
    source="",
    isbn="0-14-143951-3",
    title="Pride and prejudice /",
    year="2003.",
    subjects=(),
    leader="nam",
    fixed="",
    extra=(),
) -> Record:
    record = Record(force_utf8=True)
    record.leader = Leader(f"00000{leader} a2200000 a 4500")
    if control:
        record.add_field(Field(tag="001", data=control))
    if source:
        record.add_field(Field(tag="003", data=source))
    if fixed:
        record.add_field(Field(tag="008", data=fixed))
    if isbn:
        record.add_field(Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", isbn)]))
    record.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]))
    record.add_field(Field(tag="260", indicators=[" ", " "], subfields=[Subfield("c", year)]))
    for heading in subjects:
        record.add_field(
            Field(tag="650", indicators=[" ", "0"], subfields=[Subfield("a", heading)])
        )
    for fld in extra:
        record.add_field(fld)
    return record


def write(path, *records):
    path.write_bytes(b"".join(r.as_marc() for r in records))
    return path


def run(*paths, **options):
    out, err = StringIO(), StringIO()
    call_command("import_marc", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_isbn_10_in_one_file_and_isbn_13_in_another_make_one_title(tmp_path):
    a = write(tmp_path / "a.mrc", book(control="a1", source="LibA", subjects=["Courtship"]))
    b = write(
        tmp_path / "b.mrc",
        book(
            control="b7",
            source="LibB",
            isbn="978-0-14-143951-8",
            title="Pride & prejudice :",
            year="2004",
            subjects=["Sisters", "Courtship"],
        ),
    )
    out, _ = run(a, b)
    assert out.splitlines()[-1] == "Imported 1, updated 0, merged 1, skipped 0."
    title = Title.objects.get()
    # The first description is kept; the second adds what it has that the first lacked.
    assert (title.title, title.publication_year) == ("Pride and prejudice", 2003)
    assert (title.control_number, title.control_source) == ("a1", "LibA")
    assert title.subject_list == ["Courtship", "Sisters"]
    assert (title.isbn, title.isbn13) == ("0141439513", "9780141439518")
    assert "differs in title, publication_year" in out


def test_a_re_import_with_the_same_control_number_and_source_updates(tmp_path):
    run(write(tmp_path / "a.mrc", book(control="a1", source="LibA")))
    out, _ = run(write(tmp_path / "b.mrc", book(control="a1", source="LibA", year="2010")))
    assert out.strip() == "Imported 0, updated 1, merged 0, skipped 0."
    assert Title.objects.get().publication_year == 2010  # a re-import takes the new values


def test_the_same_control_number_from_another_source_is_another_record(tmp_path):
    run(write(tmp_path / "a.mrc", book(control="42", source="LibA", isbn="")))
    out, _ = run(write(tmp_path / "b.mrc", book(control="42", source="LibB", isbn="")))
    assert out.strip() == "Imported 1, updated 0, merged 0, skipped 0."
    assert Title.objects.count() == 2


def test_an_isbn_with_a_wrong_check_digit_is_reported_and_not_converted(tmp_path):
    _, err = run(write(tmp_path / "a.mrc", book(isbn="0-14-143951-4")))
    title = Title.objects.get()
    assert (title.isbn, title.isbn13) == ("0141439514", "")
    assert "record 1 (ISBN 0141439514): ISBN 0141439514 has a wrong check digit" in err


def test_the_merge_report_cannot_be_written_is_a_clear_error(tmp_path):
    path = write(tmp_path / "a.mrc", book())
    with pytest.raises(CommandError, match="Cannot write the report"):
        run(path, report=str(tmp_path / "missing-dir" / "r.csv"))


def test_a_bad_subfield_code_is_a_readable_message_not_a_python_warning(tmp_path, recwarn):
    raw = bytearray(book(control="c9").as_marc())
    at = raw.index(b"\x1fc2003")
    raw[at + 1] = 0xE9  # a subfield code that is not ASCII
    path = tmp_path / "a.mrc"
    path.write_bytes(bytes(raw))
    out, err = run(path)
    assert out.strip() == "Imported 1, updated 0, merged 0, skipped 0."
    assert "a.mrc:record 1 (ISBN 9780141439518): a subfield code is not a plain letter" in err
    assert not [w for w in recwarn if "subfield" in str(w.message)]


def test_missing_indicators_are_a_readable_message(tmp_path, caplog):
    raw = book(control="c9").as_marc()
    # The 260's indicators ("  ") removed: its length in the directory shrinks by two.
    start = raw.index(b"  \x1fc2003.")
    path = tmp_path / "a.mrc"
    path.write_bytes(_without(raw, start, 2, tag=b"260"))
    _, err = run(path)
    assert "record 1 (ISBN 9780141439518): a field has no indicators; read as blank" in err
    assert not [r for r in caplog.records if r.name.startswith("pymarc")]


def _without(raw: bytes, start: int, count: int, *, tag: bytes) -> bytes:
    """The record with `count` bytes removed at `start`, inside field `tag`; the leader's
    length and the directory's lengths and offsets follow."""
    base = int(raw[12:17])
    directory = bytearray(raw[24 : base - 1])
    for i in range(0, len(directory), 12):
        entry_tag, length, offset = (
            directory[i : i + 3],
            directory[i + 3 : i + 7],
            directory[i + 7 : i + 12],
        )
        if bytes(entry_tag) == tag:
            directory[i + 3 : i + 7] = b"%04d" % (int(length) - count)
        elif int(offset) > start - base:
            directory[i + 7 : i + 12] = b"%05d" % (int(offset) - count)
    body = raw[:24] + bytes(directory) + raw[base - 1 : start] + raw[start + count :]
    return b"%05d" % len(body) + body[5:]


@pytest.mark.parametrize(
    ("leader", "form", "expected"),
    [
        ("nam", " ", "book"),
        ("nam", "d", "large_print"),
        ("nam", "o", "electronic"),
        ("nas", " ", "magazine"),
        ("nim", " ", "audiobook"),
        ("njm", " ", "music"),
        ("ngm", " ", "dvd"),
        ("ncm", " ", "score"),
        ("nem", " ", "map"),
        ("nkm", " ", "other"),
    ],
)
def test_format_comes_from_the_leader_and_008(leader, form, expected):
    fixed = "930101s2003    xxu     " + form + " " * 11 + "eng d"
    record = book(leader=leader, fixed=fixed)
    data, _ = marc_fields.parse_title(record)
    assert (data["format"], data["language"]) == (expected, "eng")


@pytest.mark.parametrize(
    ("leader", "code", "expected"),
    [
        ("nam", "a", "children"),  # preschool
        ("nam", "c", "children"),  # pre-adolescent
        ("nam", "j", "children"),  # juvenile
        ("nam", "d", "young_adult"),  # adolescent
        ("nam", "e", "adult"),
        ("nam", "g", "adult"),  # general
        ("nam", " ", ""),  # not said
        ("nam", "|", ""),  # not coded
        ("ngm", "j", "children"),  # a video for children
        ("nas", "a", ""),  # a serial's 008/22 is the form of the original, not an audience
        ("nem", "a", ""),  # a map's is its projection
    ],
)
def test_audience_comes_from_008_22_where_it_means_the_target_audience(leader, code, expected):
    fixed = "930101s2003    xxu" + " " * 4 + code + " " * 12 + "eng d"
    assert fixed[22] == code
    data, _ = marc_fields.parse_title(book(leader=leader, fixed=fixed))
    assert data["audience"] == expected


def test_language_from_041_when_008_has_none():
    record = book(extra=[Field(tag="041", indicators=["0", " "], subfields=[Subfield("a", "spa")])])
    assert marc_fields.parse_title(record)[0]["language"] == "spa"


def test_series_prefers_the_authorised_830_and_keeps_the_number():
    record = book(
        extra=[
            Field(tag="490", indicators=["1", " "], subfields=[Subfield("a", "Classics ;")]),
            Field(
                tag="830",
                indicators=[" ", "0"],
                subfields=[Subfield("a", "Penguin classics ;"), Subfield("v", "12.")],
            ),
        ]
    )
    assert marc_fields.parse_title(record)[0]["series"] == "Penguin classics ; 12"


def test_subject_subdivisions_are_joined_and_sources_left_out():
    record = book(
        extra=[
            Field(
                tag="651",
                indicators=[" ", "7"],
                subfields=[
                    Subfield("a", "Colombia"),
                    Subfield("x", "History"),
                    Subfield("y", "20th century."),
                    Subfield("2", "fast"),
                    Subfield("0", "(OCoLC)fst01205"),
                ],
            )
        ]
    )
    subjects = marc_fields.parse_title(record)[0]["subjects"]
    assert subjects == "Colombia -- History -- 20th century"


def test_a_dry_run_lists_merges_but_saves_nothing(tmp_path):
    a = write(tmp_path / "a.mrc", book(control="a1"), book(control="a2", isbn="9780141439518"))
    result = marc_import(paths=[a], actor=None, dry_run=True)
    assert (result.imported, result.merged, len(result.merges)) == (1, 1, 1)
    assert Title.objects.count() == 0
