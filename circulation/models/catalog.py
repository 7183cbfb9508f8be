"""The catalog as circulation knows it: branches, titles and their copies (items).

A title's search text is kept with it (`core/text.py`)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import isbn13 as checked_isbn13
from core.text import search_text, sound_key


class Branch(models.Model):
    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. MAIN.")
    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # Opening hours are the calendar's, per weekday (`library_calendar.OpeningHours`).

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return self.name


class TitleQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(): fill the search text here, so that titles created in
        # bulk (the demo, a benchmark) are found by the search too.
        objs = list(objs)
        for obj in objs:
            obj.prepare_for_search()
        created = super().bulk_create(objs, *args, **kwargs)
        SearchWord.add(" ".join(obj.search_text for obj in objs))
        return created


class Title(models.Model):
    """A bibliographic record: what the catalog describes, independent of copies.

    `search_text` is derived (the folded words of title, author, subjects, series and
    ISBNs) and kept current by `save()` and `bulk_create()`; a `QuerySet.update()` of
    those fields must be followed by `circulation.catalog.search.reindex()`.
    """

    class Format(models.TextChoices):
        # The first five are Item.ItemType's values: a title's format is its items' type.
        BOOK = "book", _("Book")
        LARGE_PRINT = "large_print", _("Large print")
        AUDIOBOOK = "audiobook", _("Audiobook")
        DVD = "dvd", _("DVD / video")
        MAGAZINE = "magazine", _("Magazine")
        MUSIC = "music", _("Music recording")
        SCORE = "score", _("Music score")
        MAP = "map", _("Map")
        ELECTRONIC = "electronic", _("Electronic resource")
        OTHER = "other", _("Other")

    class Audience(models.TextChoices):
        """Who a title is for (MARC 008/22, target audience): the copies' audience, which the
        statistics count circulation by (the survey's circulation of children's materials).
        "" is not known: a title catalogued before the audience was recorded, or a record
        that does not say."""

        UNKNOWN = "", _("Not known")
        CHILDREN = "children", _("Children")
        YOUNG_ADULT = "young_adult", _("Young adult")
        ADULT = "adult", _("Adult")

    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    isbn = models.CharField("ISBN", max_length=17, blank=True, db_index=True)
    isbn13 = models.CharField(
        "ISBN-13",
        max_length=13,
        blank=True,
        db_index=True,
        help_text="The ISBN as a checked ISBN-13, used to match records of the same book.",
    )
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True)
    call_number = models.CharField(max_length=50, blank=True)
    control_number = models.CharField(
        max_length=50, blank=True, db_index=True, help_text="MARC 001, used to match re-imports."
    )
    control_source = models.CharField(
        max_length=50, blank=True, help_text="MARC 003: who issued the control number."
    )
    format = models.CharField(max_length=20, choices=Format, default=Format.BOOK)
    language = models.CharField(
        max_length=3, blank=True, help_text="MARC language code, e.g. eng, spa."
    )
    audience = models.CharField(
        max_length=20,
        choices=Audience,
        blank=True,
        default=Audience.UNKNOWN,
        db_default=Audience.UNKNOWN,
        help_text="Who the title is for (MARC 008/22); its copies' circulation is counted "
        "by it (children's materials in the annual survey).",
    )
    subjects = models.TextField(blank=True, help_text="Subject headings, one per line.")
    series = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    search_text = models.TextField(blank=True, editable=False)

    objects = TitleQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["author"]),
            models.Index(fields=["-created_at"], name="title_newest_first"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.prepare_for_search()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "isbn13", "search_text"}
        super().save(*args, **kwargs)
        SearchWord.add(self.search_text)

    @property
    def subject_list(self) -> list[str]:
        return [line for line in self.subjects.splitlines() if line.strip()]

    def prepare_for_search(self) -> None:
        """Derive the ISBN-13 (when only an ISBN was given) and the search text."""
        if self.isbn and not self.isbn13:
            self.isbn13 = checked_isbn13(self.isbn)
        self.search_text = self.build_search_text()

    def build_search_text(self) -> str:
        return search_text(
            title=self.title,
            author=self.author,
            subjects=self.subjects,
            series=self.series,
            isbn=self.isbn,
            isbn13_value=self.isbn13,
        )


class Item(models.Model):
    """A physical copy of a title, with its own barcode."""

    class ItemType(models.TextChoices):
        BOOK = "book", _("Book")
        LARGE_PRINT = "large_print", _("Large print")
        AUDIOBOOK = "audiobook", _("Audiobook")
        DVD = "dvd", _("DVD")
        MAGAZINE = "magazine", _("Magazine")

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        ON_LOAN = "on_loan", _("On loan")
        ON_HOLD_SHELF = "on_hold_shelf", _("On the hold shelf")
        IN_TRANSIT = "in_transit", _("In transit")
        MISSING = "missing", _("Missing")
        DAMAGED = "damaged", _("Damaged")
        LOST = "lost", _("Lost")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.ForeignKey(Title, on_delete=models.PROTECT, related_name="items")
    barcode = models.CharField(max_length=32, unique=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="items")
    item_type = models.CharField(max_length=20, choices=ItemType, default=ItemType.BOOK)
    call_number = models.CharField(max_length=50, blank=True)
    status = models.CharField(
        max_length=20, choices=Status, default=Status.AVAILABLE, db_index=True
    )
    price = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="Replacement cost."
    )
    circulation_count = models.PositiveIntegerField(
        default=0, help_text="Check-outs of this copy since it was added (anonymous)."
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["barcode"]
        permissions = [("declare_item_lost", "Can declare an item lost")]
        indexes = [
            # The catalog's "available at" facet reads only this index (PostgreSQL).
            models.Index(
                fields=["title", "status"], include=["branch"], name="item_title_status_branch"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="item_price_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.barcode}"


class SearchWord(models.Model):
    """A word of the catalog's search text, for "did you mean" (circulation/catalog/
    search.py, `suggestion`): added as titles are saved or created in bulk, never removed
    (a suggestion is offered only if it finds titles). On PostgreSQL its words are under
    a trigram index (pg_trgm), so the closest words of a misspelt one are found at a
    consortium's size; `sound` finds words spelt as they sound, on both databases."""

    word = models.CharField(max_length=40, primary_key=True)
    sound = models.CharField(max_length=40, db_index=True)

    class Meta:
        verbose_name = "catalog search word"

    def __str__(self) -> str:
        return self.word

    @classmethod
    def add(cls, text: str) -> None:
        found = {w for w in (text or "").split() if 3 <= len(w) <= 40 and not w.isdigit()}
        if found:
            cls.objects.bulk_create(
                [cls(word=w, sound=sound_key(w)) for w in sorted(found)],
                ignore_conflicts=True,
                batch_size=1000,
            )


class TitleWord(models.Model):
    """The catalog's word index on PostgreSQL: one row per word (a lexeme of the title's
    search vector) and title, with what the search ranks and counts by, so that a word's
    titles are one range of one index (`title_word_search`), read without visiting the
    titles (circulation/catalog/word_index.py).

    Written only by the database: a trigger on the titles table (migration
    catalog_word_index) rewrites a title's rows whenever its title, search text, format,
    language or year is written, by any means (save, bulk_create, update(), raw SQL), and
    removes them with the title. `in_title`: the word is one of the title's own words, not
    only of its author, subjects, series or ISBNs. On SQLite the table stays empty: the
    search reads `Title.search_text` there."""

    pk = models.CompositePrimaryKey("title", "word")
    title = models.ForeignKey(
        Title, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    word = models.TextField()
    in_title = models.BooleanField()
    format = models.CharField(max_length=20, choices=Title.Format)
    language = models.CharField(max_length=3, blank=True)
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "catalog index word"
        indexes = [
            # Every column the search reads, in word order (prefix ranges: pattern ops).
            models.Index(
                fields=["word", "title"],
                opclasses=["text_pattern_ops", "int8_ops"],
                include=["in_title", "format", "language", "publication_year"],
                name="title_word_search",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.word} ({self.title_id})"
