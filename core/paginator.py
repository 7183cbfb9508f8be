"""Admin lists of tables that only grow (loans, visits, the audit log) must not count
every row on every page: at a million loans `SELECT COUNT(*)` alone takes longer than the
rest of the page.

`EstimatedCountPaginator` takes PostgreSQL's own estimate of the table's size
(`pg_class.reltuples`, kept current by autovacuum and ANALYZE) for a list that is not
filtered or searched, once the table is large. Filtered and searched lists, small tables
and SQLite are counted exactly. The admin then shows "about N" rows on the unfiltered list
(see templates/admin/pagination.html)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

#: Below this many rows an exact count is cheap, and exact.
ESTIMATE_ABOVE = 50_000


def estimated_rows(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows in the queryset's table, or None."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:  # -1: never analysed
        return None
    return int(row[0])


class EstimatedCountPaginator(Paginator):
    #: True once `count` is an estimate (the pagination template says "about").
    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where:
            estimate = estimated_rows(queryset)
            if estimate is not None and estimate >= ESTIMATE_ABOVE:
                self.estimated = True
                return estimate
        return super().count
