"""Writes library-a.mrc and library-b.xml, two small catalogs as two libraries would
export them: the same books described with small differences (ISBN-10 in one, ISBN-13 in
the other; other control numbers and sources), as MARC 21 and MARCXML.

    .venv/bin/python tests/data/build_sample_catalog.py

loc-opera-43.xml beside it is Library of Congress records shipped by Debian's
idzebra-2.0-examples package (examples/marcxml/collection-opera-43.xml), unchanged.
"""

from pathlib import Path

import pymarc
from pymarc import Field, Record, Subfield

HERE = Path(__file__).parent


def record(leader67, fixed, fields, holdings=()):
    rec = Record(force_utf8=True)
    rec.leader = pymarc.Leader(f"00000n{leader67} a2200000 a 4500")
    rec.add_field(Field(tag="008", data=fixed))
    for tag, *rest in fields:
        if tag < "010":
            rec.add_field(Field(tag=tag, data=rest[0]))
            continue
        indicators, subfields = rest
        rec.add_field(
            Field(
                tag=tag,
                indicators=list(indicators),
                subfields=[Subfield(c, v) for c, v in subfields],
            )
        )
    for barcode, branch, item_type in holdings:
        rec.add_field(
            Field(
                tag="952",
                indicators=[" ", " "],
                subfields=[Subfield("a", branch), Subfield("p", barcode), Subfield("y", item_type)],
            )
        )
    return rec


def fixed(year: int, lang: str, form: str = " ") -> str:
    # 008: date entered, type of date, date 1, date 2, place, ..., 23 form of item, 35-37 language
    base = f"930101s{year}    xxu" + " " * 5 + form + " " * 11 + lang + " d"
    return base[:40].ljust(40)


LIBRARY_A = [
    record(
        "am",
        fixed(2003, "eng"),
        [
            ("001", "a0001"),
            ("003", "CalA"),
            ("020", "  ", [("a", "0-14-143951-3 (pbk.)")]),
            ("100", "1 ", [("a", "Austen, Jane,"), ("d", "1775-1817.")]),
            ("245", "10", [("a", "Pride and prejudice /"), ("c", "Jane Austen.")]),
            ("264", " 1", [("a", "London :"), ("b", "Penguin,"), ("c", "2003.")]),
            ("490", "1 ", [("a", "Penguin classics")]),
            ("520", "  ", [("a", "Elizabeth Bennet meets the proud Mr. Darcy.")]),
            ("650", " 0", [("a", "Courtship"), ("v", "Fiction.")]),
            ("651", " 0", [("a", "England"), ("v", "Fiction.")]),
            ("830", " 0", [("a", "Penguin classics.")]),
            ("050", "00", [("a", "PR4034"), ("b", ".P7 2003")]),
        ],
        [("A-1001", "MAIN", "BK"), ("A-1002", "EAST", "BK")],
    ),
    record(
        "am",
        fixed(2006, "spa"),
        [
            ("001", "a0002"),
            ("003", "CalA"),
            ("020", "  ", [("a", "9780307474728")]),
            ("041", "0 ", [("a", "spa")]),
            ("100", "1 ", [("a", "García Márquez, Gabriel,"), ("d", "1927-2014.")]),
            ("245", "10", [("a", "Cien años de soledad /"), ("c", "Gabriel García Márquez.")]),
            ("264", " 1", [("a", "Nueva York :"), ("b", "Vintage Español,"), ("c", "2006.")]),
            ("650", " 0", [("a", "Families"), ("z", "Colombia"), ("v", "Fiction.")]),
            ("650", " 7", [("a", "Realismo mágico."), ("2", "bidex")]),
        ],
        [("A-2001", "MAIN", "BK")],
    ),
    record(
        "am",
        fixed(2010, "eng", form="d"),
        [
            ("001", "a0003"),
            ("003", "CalA"),
            ("100", "1 ", [("a", "Austen, Jane.")]),
            ("245", "10", [("a", "Emma /"), ("c", "Jane Austen ; large print edition.")]),
            ("260", "  ", [("c", "c2010.")]),
            ("650", " 0", [("a", "Courtship"), ("v", "Fiction.")]),
        ],
        [("A-3001", "EAST", "LP")],
    ),
    record(
        "im",
        fixed(2015, "eng"),
        [
            ("001", "a0004"),
            ("003", "CalA"),
            ("100", "1 ", [("a", "Austen, Jane.")]),
            ("245", "10", [("a", "Persuasion"), ("h", "[sound recording] /")]),
            ("264", " 1", [("c", "2015.")]),
        ],
        [("A-4001", "MAIN", "AB")],
    ),
    record(
        "gm",
        fixed(2005, "eng"),
        [
            ("001", "a0005"),
            ("003", "CalA"),
            ("245", "00", [("a", "Pride & prejudice"), ("h", "[videorecording] /")]),
            ("264", " 1", [("c", "2005.")]),
            ("650", " 0", [("a", "Courtship"), ("v", "Drama.")]),
        ],
        [("A-5001", "MAIN", "DVD")],
    ),
]

LIBRARY_B = [
    # Pride and prejudice again, from another library: ISBN-13, a subtitle, a subject more.
    record(
        "am",
        fixed(2003, "eng"),
        [
            ("001", "ocm53360989"),
            ("003", "OCoLC"),
            ("020", "  ", [("a", "9780141439518")]),
            ("100", "1 ", [("a", "Austen, Jane.")]),
            ("245", "10", [("a", "Pride and prejudice :"), ("b", "a novel /")]),
            ("260", "  ", [("c", "2003.")]),
            ("650", " 0", [("a", "Sisters"), ("v", "Fiction.")]),
        ],
        [("B-1001", "MAIN", "BK")],
    ),
    # Global feminism: ISBN-10 here, ISBN-13 in the Library of Congress record.
    record(
        "am",
        fixed(2006, "eng"),
        [
            ("001", "b0002"),
            ("003", "CalB"),
            ("020", "  ", [("a", "0814727352")]),
            ("245", "00", [("a", "Global feminism")]),
            ("260", "  ", [("c", "2006.")]),
        ],
    ),
]


if __name__ == "__main__":
    with open(HERE / "library-a.mrc", "wb") as handle:
        for rec in LIBRARY_A:
            handle.write(rec.as_marc())
    with open(HERE / "library-b.xml", "wb") as handle:
        writer = pymarc.XMLWriter(handle)
        for rec in LIBRARY_B:
            writer.write(rec)
        writer.close(close_fh=False)
    print("wrote library-a.mrc and library-b.xml")
