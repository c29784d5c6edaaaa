"""Admin paging that never counts a large table."""

from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections

# Below this, an exact count is cheap and what people expect to see.
EXACT_COUNT_LIMIT = 10_000


class EstimatedCountPaginator(Paginator):
    """Use PostgreSQL's planner estimate for an unfiltered table instead of COUNT(*).

    A filtered queryset (a caseworker's streets, a search) is counted exactly only up to EXACT_COUNT_LIMIT
    rows; beyond that the page says "more than" (ARCHITECTURE.md: no COUNT(*) over a large table).
    """

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > EXACT_COUNT_LIMIT:
                return int(row[0])
        return queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
