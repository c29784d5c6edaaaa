"""Console search over people: a name prefix, a mobile number, or an exact ID number.

A full ID number must never sit in a URL (access logs, browser history, the page's own sort and filter
links). The search box of these lists posts to ``search/``, which swaps an ID number for its keyed hash
(``idh:<hmac>``, meaningless without the server's key) before redirecting to the list; a number typed
straight into the address bar is swapped the same way.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

from accounts.phones import phone_normalize
from kernel.errors import DomainError

from .pii import id_number_hash, id_number_validate

ID_HASH_PREFIX = "idh:"
NO_MATCH = ID_HASH_PREFIX + "-"


def looks_like_id_number(term: str) -> bool:
    return len(term) == 18 and term[:17].isdigit()


class PersonSearchMixin:
    """For a ModelAdmin whose rows are residents (resident_path "") or point at one ("applicant")."""

    resident_path = ""

    def _field(self, name: str) -> str:
        return f"{self.resident_path}__{name}" if self.resident_path else name

    def _private_query(self, request: HttpRequest, term: str) -> str:
        """The query to put in the URL for what was typed: the hash in place of an ID number."""
        term = term.strip()
        if not looks_like_id_number(term):
            return term
        try:
            return ID_HASH_PREFIX + id_number_hash(id_number_validate(term).normalized)
        except DomainError as error:
            messages.warning(request, str(error.message))
            return NO_MATCH

    def search_view(self, request: HttpRequest) -> HttpResponse:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")  # type: ignore[attr-defined]
        params = request.POST.copy() if request.method == "POST" else request.GET.copy()
        params.pop("csrfmiddlewaretoken", None)
        params["q"] = self._private_query(request, params.get("q", ""))
        if not params["q"]:
            del params["q"]
        return HttpResponseRedirect(f"{url}?{params.urlencode()}" if params else url)

    def changelist_view(self, request: HttpRequest, extra_context=None):  # type: ignore[no-untyped-def]
        if looks_like_id_number(request.GET.get("q", "").strip()):
            return self.search_view(request)
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def get_urls(self):  # type: ignore[no-untyped-def]
        name = f"{self.opts.app_label}_{self.opts.model_name}_search"  # type: ignore[attr-defined]
        return [
            path("search/", self.admin_site.admin_view(self.search_view), name=name),  # type: ignore[attr-defined]
            *super().get_urls(),  # type: ignore[misc]
        ]

    def search_people(self, queryset: QuerySet, term: str) -> QuerySet | None:
        """Rows matching an ID-number hash, a mobile number or a name prefix; None if the term is none of these
        kinds (left to the admin's own extra search)."""
        if term.startswith(ID_HASH_PREFIX):
            return queryset.filter(**{self._field("id_number_hash"): term.removeprefix(ID_HASH_PREFIX)})
        if looks_like_id_number(term):  # only reached by code that calls the search directly
            try:
                return queryset.filter(
                    **{self._field("id_number_hash"): id_number_hash(id_number_validate(term).normalized)}
                )
            except DomainError:
                return queryset.none()
        if term.lstrip("+").isdigit():
            try:
                return queryset.filter(**{self._field("phone"): phone_normalize(term)})
            except DomainError:
                return queryset.none()
        return None

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        term = search_term.strip()
        if not term:
            return queryset, False
        found = self.search_people(queryset, term)
        if found is not None:
            return found, False
        # Names: a prefix match served by the varchar_pattern_ops index, never a scan for '%term%'.
        return queryset.filter(**{self._field("name__startswith"): term}), False
