"""The catalog search, on a catalog imported from real MARC files (tests/data/): Library of
Congress records (loc-opera-43.xml) and two small library exports describing some of the
same books differently (library-a.mrc, library-b.xml). Runs on SQLite and PostgreSQL."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circulation.catalog import facets as catalog_facets
from circulation.catalog import search as catalog_search
from circulation.catalog.facets import facets
from circulation.catalog.search import Filters, keyword_match, search
from circulation.models import Branch, Item, Title, TitleWord
from tests.factories import BranchFactory, ItemFactory, TitleFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "data"
GLOBAL_FEMINISM = "Global feminism: transnational women's activism, organizing, and human rights"
FILES = [DATA / "loc-opera-43.xml", DATA / "library-a.mrc", DATA / "library-b.xml"]


@pytest.fixture
def catalog():
    cache.delete("catalog:subjects")
    main = Branch.objects.create(code="main", name="Central Library")
    east = Branch.objects.create(code="east", name="Eastside Branch")
    out, err = StringIO(), StringIO()
    call_command("import_marc", *map(str, FILES), stdout=out, stderr=err)
    return {"main": main, "east": east, "out": out.getvalue(), "err": err.getvalue()}


def found(query: str, **filters) -> list[str]:
    return [t.title for t in search(query, Filters(**filters)).titles]


def test_the_import_merges_descriptions_of_the_same_book_and_reports_them(catalog):
    out = catalog["out"]
    # 43 + 5 + 2 records; LoC's records 11 and 12 are one (same 001), Pride and prejudice
    # from library B merges into library A's, Global feminism into the LoC record.
    assert out.splitlines()[-1] == "Imported 47, updated 1, merged 2, skipped 0."
    assert "library-b.xml:record 1 (ISBN 9780141439518): merged into Title" in out
    assert "'Pride and prejudice' (same ISBN); differs in title" in out
    assert "library-b.xml:record 2 (ISBN 9780814727355): merged into Title" in out
    pride = Title.objects.get(isbn13="9780141439518")
    assert pride.title == "Pride and prejudice"  # the first description is kept
    assert (pride.control_number, pride.control_source) == ("a0001", "CalA")
    assert pride.subject_list == [
        "Courtship -- Fiction",
        "England -- Fiction",
        "Sisters -- Fiction",
    ]
    assert pride.series == "Penguin classics"
    assert sorted(pride.items.values_list("barcode", flat=True)) == ["A-1001", "A-1002", "B-1001"]


def test_the_merge_report_file_lists_the_merged_records(catalog, tmp_path):
    report = tmp_path / "merged.csv"
    call_command("import_marc", str(DATA / "library-b.xml"), report=str(report), stdout=StringIO())
    lines = report.read_text().splitlines()
    assert lines[0] == "file,record,isbn_or_control_number,title_id,title,differs_in"
    assert len(lines) == 3 and "ISBN 9780141439518" in lines[1]


def test_the_merge_report_writes_a_title_like_a_formula_as_text(catalog, tmp_path):
    formula = '=HYPERLINK("http://evil.example/","Pride")'
    Title.objects.filter(isbn13="9780141439518").update(title=formula)
    report = tmp_path / "merged.csv"
    call_command("import_marc", str(DATA / "library-b.xml"), report=str(report), stdout=StringIO())
    with open(report, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    titles = [row["title"] for row in rows]
    assert "'" + formula in titles and formula not in titles
    assert all(row["record"].isdigit() for row in rows)  # numbers stay numbers


def test_format_language_subjects_and_summary_are_kept(catalog):
    by_title = {t.title: t for t in Title.objects.all()}
    assert by_title["Emma"].format == "large_print"
    assert by_title["Persuasion"].format == "audiobook"
    assert by_title["Pride & prejudice"].format == "dvd"
    assert by_title["Verdi arias III"].format == "music"
    assert by_title["Cien años de soledad"].language == "spa"
    assert by_title["Tsuma to onna no aida"].language == "jpn"
    assert "Families -- Colombia -- Fiction" in by_title["Cien años de soledad"].subject_list
    assert by_title["Pride and prejudice"].summary.startswith("Elizabeth Bennet")


def test_words_in_any_order(catalog):
    assert "Pride and prejudice" in found("prejudice pride")
    assert "Pride and prejudice" in found("PRIDE Prejudice")
    assert found("pride prejudice zebra") == []


def test_accents_and_case_do_not_matter(catalog):
    assert found("garcia marquez") == ["Cien años de soledad"]
    assert found("cien anos") == ["Cien años de soledad"]
    assert (
        found("GARCÍA NARANJO")
        == found("garcia naranjo")
        == [
            "Mujeres peruanas: las protagonistas de Junín, Pasco y Huánuco de la sobrevivencia al "
            "desarrollo"
        ]
    )
    assert set(found("electre")) == {"Electre de Jean Giraudoux: regards croisés", "Électre"}


def test_part_of_a_name_finds_the_author(catalog):
    assert found("marq") == ["Cien años de soledad"]
    assert set(found("goldm")) == {  # Goldmark, Carl and Goldmark, Karl
        "Die Königin von Saba: Op. 27",
        "Die königin von Saba---The queen of Sheba; opera in four acts",
    }
    assert len(found("austen")) == 3  # novel, large print, audiobook; the DVD has no author


def test_subjects_and_series_are_searched(catalog):
    assert found("realismo magico") == ["Cien años de soledad"]
    assert "Pride and prejudice" in found("penguin classics")
    assert "Pride and prejudice" in found("sisters fiction")


def test_isbn_10_and_isbn_13_find_the_same_title(catalog):
    for query in ("0-14-143951-3", "9780141439518", "978-0-14-143951-8", "0141439513"):
        assert found(query) == ["Pride and prejudice"], query
    assert found("0814727352") == found("9780814727355") == [GLOBAL_FEMINISM]


def test_facet_counts(catalog):
    facets = search("austen", Filters()).facets
    assert {(f.value, f.count) for f in facets["format"]} == {
        ("book", 1),
        ("large_print", 1),
        ("audiobook", 1),
    }
    assert [(f.value, f.count) for f in facets["language"]] == [("eng", 3)]
    assert [(f.value, f.count) for f in facets["decade"]] == [(2010, 2), (2000, 1)]
    # On the shelf now: Central has Pride and prejudice and Persuasion, Eastside Pride and Emma.
    assert [(f.label, f.count) for f in facets["branch"]] == [
        ("Central Library", 2),
        ("Eastside Branch", 2),
    ]
    Item.objects.filter(barcode="A-3001").update(status=Item.Status.ON_LOAN)
    facets = search("austen", Filters()).facets
    assert [(f.label, f.count) for f in facets["branch"]] == [
        ("Central Library", 2),
        ("Eastside Branch", 1),
    ]


def test_filters_narrow_the_results(catalog):
    assert found("austen", format="large_print") == ["Emma"]
    assert found("austen", decade=2000) == ["Pride and prejudice"]
    assert "Cien años de soledad" in found("", language="spa")
    assert set(found("austen", branch=catalog["east"].pk)) == {"Emma", "Pride and prejudice"}
    assert set(found("", subject="courtship")) == {
        "Emma",
        "Pride & prejudice",
        "Pride and prejudice",
    }
    assert found("", subject="Court") == []  # a whole heading, not a part of one
    assert set(found("austen", subject="courtship")) == {"Emma", "Pride and prejudice"}
    assert found("austen", subject="Court") == []
    assert found("austen", branch=catalog["east"].pk, format="large_print") == ["Emma"]


def test_relevance_puts_titles_before_subjects(catalog):
    results = found("pride prejudice")
    assert set(results[:2]) == {"Pride and prejudice", "Pride & prejudice"}


def test_sorts(catalog):
    by_title = [t.title for t in search("austen", Filters(), sort="title").titles]
    assert by_title == sorted(by_title)
    newest = [t.publication_year for t in search("austen", Filters(), sort="newest").titles]
    assert newest == sorted(newest, reverse=True)
    by_author = [(t.author, t.title) for t in search("opera", Filters(), sort="author").titles]
    assert by_author == sorted(by_author) and len(by_author) > 5


# --- the pages ------------------------------------------------------------------------------


def test_results_page_shows_results_facets_and_sort(catalog):
    page = Client().get(reverse("portal:catalog"), {"q": "pride prejudice"}).content.decode()
    assert "Pride and prejudice" in page and "Pride &amp; prejudice" in page
    assert "2 titles found" in page
    assert "Narrow your search" in page and "Available now at" in page
    assert "Sort by:" in page


def test_results_are_paginated(catalog):
    client = Client()
    first = client.get(reverse("portal:catalog"), {"format": "book", "sort": "title"})
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(reverse("portal:catalog"), {"format": "book", "sort": "title", "page": 2})
    assert "Page 2 of 2" in second.content.decode()
    assert first.context["page"][0].pk != second.context["page"][0].pk


def test_options_that_make_no_sense_are_left_out_with_a_note(catalog):
    response = Client().get(
        reverse("portal:catalog"), {"q": "austen", "decade": "x", "sort": "evil", "page": "zz"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "were not understood" in page and "3 titles found" in page


def test_the_catalog_home_shows_new_titles_and_subjects(catalog):
    page = Client().get(reverse("portal:catalog")).content.decode()
    assert "New in the catalog" in page and "Pride &amp; prejudice" in page
    assert "Browse by subject" in page and "?subject=Courtship" in page


def test_the_title_page_lists_every_copy_with_branch_shelf_and_status(catalog):
    pride = Title.objects.get(isbn13="9780141439518")
    Item.objects.filter(barcode="A-1002").update(status=Item.Status.MISSING)
    page = Client().get(reverse("portal:title", args=[pride.pk])).content.decode()
    assert page.count("<tr>") == 4  # the header and three copies
    assert "Central Library" in page and "Eastside Branch" in page
    assert "PR4034 .P7 2003" in page
    assert "Missing" in page and "On the shelf" in page
    assert "Sign in to place a hold" in page
    assert "Courtship -- Fiction" in page and "Penguin classics" in page


@pytest.mark.parametrize("query", ["austen", "pride prejudice", "opera", "0141439513"])
def test_facets_counted_from_the_search_equal_those_counted_in_the_database(catalog, query):
    result = search(query, Filters())
    in_the_database = keyword_match(query)[0]
    assert result.count == in_the_database.count()
    assert result.facets == facets(in_the_database)


def test_a_search_finding_very_many_is_counted_in_the_database(catalog, monkeypatch):
    expected = search("austen", Filters())
    monkeypatch.setattr(catalog_search, "MAX_PASS", 2)
    many = search("austen", Filters())
    if connection.vendor != "postgresql":  # PostgreSQL counts every search from its index
        assert many.ids is None and many.count is None
    assert many.facets == expected.facets
    assert [t.title for t in many.listing()] == [t.title for t in expected.listing()]


def test_a_search_finding_more_than_are_counted_by_branch_lists_branches_without_counts(
    catalog, monkeypatch
):
    monkeypatch.setattr(catalog_facets, "BRANCHES_COUNTED", 1)
    result = search("austen", Filters())
    assert result.count == 3
    best = result.ids[0]
    on_the_shelf = set(
        Item.objects.filter(title_id=best, status=Item.Status.AVAILABLE).values_list(
            "branch_id", flat=True
        )
    )
    assert on_the_shelf, "the best match has a copy on the shelf somewhere"
    assert {f.value for f in result.facets["branch"]} == on_the_shelf
    assert all(f.count is None for f in result.facets["branch"])
    assert all(f.count for f in result.facets["format"])  # the other facets are counted

    page = Client().get(reverse("portal:catalog"), {"q": "austen"}).content.decode()
    facet = page.split('id="facet-branch"')[1].split("</section>")[0]
    assert "best matches is on the shelf. Choose a branch to see how many" in facet
    assert 'class="count"' not in facet
    # Choosing a branch counts exactly: a search narrowed to one branch.
    branch = next(iter(on_the_shelf))
    narrowed = Client().get(reverse("portal:catalog"), {"q": "austen", "branch": branch})
    assert narrowed.context["page"].paginator.count == len(found("austen", branch=branch))


@pytest.mark.parametrize("sort", ["relevance", "title", "author", "newest"])
def test_result_pages_of_a_keyword_search_follow_the_search_order(sort):
    branch = BranchFactory()
    for n in range(25):
        title = TitleFactory(publication_year=1950 + n % 7)
        ItemFactory(title=title, branch=branch)
    expected = [t.pk for t in search("lighthouses", Filters(), sort=sort).titles]
    client, shown = Client(), []
    for number in (1, 2):
        response = client.get(
            reverse("portal:catalog"), {"q": "lighthouses", "sort": sort, "page": number}
        )
        assert f"Page {number} of 2" in response.content.decode()
        page = list(response.context["page"])
        assert all(t.copies == 1 and t.available == 1 for t in page)
        shown += [t.pk for t in page]
    assert len(expected) == 25 and shown == expected


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_stems_english_words(catalog):
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL's full-text search")
    assert "Pride and prejudice" in found("prejudices")
    assert "Cien años de soledad" in found("family colombia")


@pytest.mark.postgres
def test_postgres_reads_the_word_index_and_not_the_titles(catalog):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL index")
    with CaptureQueriesContext(connection) as captured:
        search("pride prejudice", Filters())
    statement = next(q["sql"] for q in captured.captured_queries if "WITH hits" in q["sql"])
    with connection.cursor() as cursor:  # a few rows: make the planner show it can use it
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan")
    assert "Index Only Scan using title_word_search" in plan, plan
    assert " on circulation_title " not in plan, plan  # no title row is read to rank or count


@pytest.mark.postgres
def test_postgres_later_pages_are_read_from_the_word_index_in_order(catalog, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the word index's pages")
    expected = search("opera", Filters())
    monkeypatch.setattr(catalog_facets, "BRANCHES_COUNTED", 3)  # the best 3 come with the counts
    result = search("opera", Filters())
    assert len(result.ids.first) == 3 and result.count == expected.count > 10
    assert list(result.ids) == list(expected.ids)
    assert result.ids[7] == expected.ids[7] and result.ids[-1] == expected.ids[-1]
    assert [t.pk for t in result.listing()[5:9]] == list(expected.ids[5:9])
    page = Client().get(reverse("portal:catalog"), {"q": "opera"})
    assert [t.pk for t in page.context["page"]] == list(expected.ids[:20])


@pytest.mark.postgres
def test_postgres_word_index_follows_every_change_to_a_title(catalog):
    if connection.vendor != "postgresql":
        pytest.skip("the word index is kept by a PostgreSQL trigger")
    pride = Title.objects.get(isbn13="9780141439518")
    pride.title = "Orgullo y prejuicio"
    pride.save()
    assert "Orgullo y prejuicio" in found("orgullo")
    assert "Orgullo y prejuicio" not in found("pride prejudice")
    # A queryset update (no save()) of what the facets count is followed too.
    Title.objects.filter(pk=pride.pk).update(language="spa", format="large_print")
    assert found("orgullo", language="spa", format="large_print") == ["Orgullo y prejuicio"]
    facets = search("orgullo", Filters()).facets
    assert [(f.value, f.count) for f in facets["language"]] == [("spa", 1)]
    TitleFactory(title="Orgullo de barrio")  # a new title is found at once
    assert set(found("orgullo")) == {"Orgullo y prejuicio", "Orgullo de barrio"}
    pride.items.all().delete()
    pride.delete()
    assert found("orgullo") == ["Orgullo de barrio"]
    assert not TitleWord.objects.filter(title_id=pride.pk).exists()


@pytest.mark.postgres
def test_postgres_search_settings_do_not_outlive_its_statements(catalog):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL settings")
    with transaction.atomic(), connection.cursor() as cursor:  # a caller's transaction
        search("opera", Filters())
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone()[0] == "on"
