"""What narrows a catalog search or browse: a format, a language, a decade, a branch where
a copy is on the shelf now, a subject heading (the facets a patron chooses)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from circulation.models import Item


@dataclass
class Filters:
    format: str = ""
    language: str = ""
    decade: int | None = None
    branch: int | None = None  # available now at this branch
    subject: str = ""

    def apply(self, titles: QuerySet) -> QuerySet:
        if self.format:
            titles = titles.filter(format=self.format)
        if self.language:
            titles = titles.filter(language=self.language)
        if self.decade is not None:
            titles = titles.filter(
                publication_year__gte=self.decade, publication_year__lt=self.decade + 10
            )
        if self.branch is not None:
            titles = titles.filter(
                Exists(
                    Item.objects.filter(
                        title=OuterRef("pk"), branch=self.branch, status=Item.Status.AVAILABLE
                    )
                )
            )
        if self.subject:
            titles = titles.filter(subjects__iregex=self.subject_pattern())
        return titles

    def subject_pattern(self) -> str:
        """A whole heading, or its first parts ("Operas" for "Operas -- Scores")."""
        heading = re.escape(self.subject)
        return rf"(^|\n){heading}( -- |\r?\n|$)"
