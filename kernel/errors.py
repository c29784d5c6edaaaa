"""The domain error every service raises, and its mapping to API responses.

A service refuses a write by raising DomainError with a stable code, a translatable message and, when the
error belongs to one input, the field's name. kernel.api.api_exception_handler answers 400 (409 for
conflicts with other records) with ``{"<field>": ["message"], "code": "..."}``; pages show the message on
the form field.
This module imports nothing from Django or DRF so that anything, the logging setup included, may use it.
"""

from __future__ import annotations

from typing import Any

NON_FIELD = "non_field_errors"


class DomainError(Exception):
    """A write refused by a business rule. Nothing has been saved when it is raised."""

    def __init__(self, code: str, message: Any, *, field: str | None = None, conflict: bool = False) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        self.conflict = conflict

    def as_dict(self) -> dict[str, Any]:
        return {self.field or NON_FIELD: [str(self.message)], "code": self.code}


def form_add_domain_error(form: Any, error: DomainError) -> None:
    """Show a service's refusal on the page form, on its field when the form has that field."""
    field = error.field if error.field in getattr(form, "fields", {}) else None
    form.add_error(field, str(error.message))
