"""The console's pages of one row answer 404 for a row the user may not see, like the rest of the service.

A console list starts from what the user may see (its ModelAdmin's get_queryset). Django's admin answers a
row outside it with a redirect to the index saying the row may have been deleted, or with a 403 when a
permission check comes first; both tell that the row exists.
"""

from __future__ import annotations

from django.db.models import Model
from django.http import Http404, HttpRequest


class OutOfScopeIs404:
    """For a ModelAdmin: the change, history and delete pages of a row outside get_queryset are a 404.

    Each of those pages looks the row up with get_object (within get_queryset) before it checks a permission;
    a row not found stops there.
    """

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404
        return obj
