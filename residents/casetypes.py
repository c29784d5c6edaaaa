"""Case types: what each kind of application declares about itself.

A case type names its required documents, its service-level deadline, who may decide it and its transitions
map. Every case lives in the one ``Case`` table (so one queue, one deadline sweep and one visibility rule
serve them all); a case type that needs fields of its own keeps them in a detail model with a one-to-one
link to its Case. Apps register their types in ``AppConfig.ready``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from .choices import CaseStatus as S

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Case

# The standard map. A missing-documents notice is sent once (条例 art. 9): there is no way back from
# "resubmitted" to "needs_documents". Issued and delivered exist only for types that produce something.
STANDARD_TRANSITIONS: Mapping[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.NEEDS_DOCUMENTS, S.APPROVED, S.REFUSED, S.WITHDRAWN}),
    S.NEEDS_DOCUMENTS: frozenset({S.RESUBMITTED, S.REFUSED, S.WITHDRAWN}),
    S.RESUBMITTED: frozenset({S.APPROVED, S.REFUSED, S.WITHDRAWN}),
    S.APPROVED: frozenset(),
    S.REFUSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

PRODUCING_TRANSITIONS: Mapping[str, frozenset[str]] = {
    **STANDARD_TRANSITIONS,
    S.APPROVED: frozenset({S.ISSUED}),
    S.ISSUED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
}

# Moves a caseworker makes; the others belong to the applicant (or their guardian).
STAFF_TARGETS = frozenset({S.NEEDS_DOCUMENTS, S.APPROVED, S.REFUSED, S.ISSUED, S.DELIVERED})
APPLICANT_TARGETS = frozenset({S.SUBMITTED, S.RESUBMITTED, S.WITHDRAWN})


@dataclass(frozen=True)
class DocumentRequirement:
    key: str
    label: Promise | str
    required: bool = True
    help_text: Promise | str = ""


@dataclass(frozen=True)
class CaseType:
    key: str
    label: Promise | str
    reference_prefix: str
    documents: tuple[DocumentRequirement, ...] = ()
    due_in: datetime.timedelta = datetime.timedelta(days=15)
    transitions: Mapping[str, frozenset[str]] = field(default_factory=lambda: STANDARD_TRANSITIONS)
    # Who may decide (approve, refuse, ask for documents); None means a caseworker covering the applicant's
    # street, or an administrator (residents.permissions.may_decide_case).
    may_decide: Callable[[User, Case], bool] | None = None
    # Called inside the transition's transaction after the status has changed (e.g. issue the permit).
    on_transition: Callable[..., None] | None = None
    # When the checklist depends on the case (a permit's type decides its proofs): the documents of one case.
    documents_of: Callable[[Case], tuple[DocumentRequirement, ...]] | None = None
    # The type's own conditions, checked when the applicant submits (e.g. half a year of residence); raises
    # a DomainError to refuse the submission.
    check_submit: Callable[[Case], None] | None = None
    # A type whose application carries details of its own (a permit's type and delivery, a flat's unit type)
    # is started by its own service, never as a bare case (services.case_start refuses it).
    has_own_start: bool = False
    # What the applicant's case page shows of the type's own details: given the request and the case (already
    # visible to the user), the HTML of a panel. The permit's is built into the page; other apps add theirs here.
    applicant_panel: Callable[..., str] | None = None
    # A type decided on a console page of its own (a points application is reviewed item by item): given the
    # case, (the link's label, its URL). The generic case page then links there instead of offering "approve".
    console_link: Callable[[Case], tuple[str, str]] | None = None

    def documents_for(self, case: Case) -> tuple[DocumentRequirement, ...]:
        return self.documents_of(case) if self.documents_of is not None else self.documents

    def document_for(self, case: Case, key: str) -> DocumentRequirement | None:
        return next((d for d in self.documents_for(case) if d.key == key), None)

    def document_keys_for(self, case: Case) -> frozenset[str]:
        return frozenset(d.key for d in self.documents_for(case))

    def allows(self, source: str, target: str) -> bool:
        return target in self.transitions.get(source, frozenset())


def _in_active_language(zh: str, en: str) -> str:
    return en if en and (translation.get_language() or "").startswith("en") else zh


# A label an administrator wrote in both languages (a permit type's documents), read in the active language.
localized_label = lazy(_in_active_language, str)

_REGISTRY: dict[str, CaseType] = {}

# Documents any case may carry besides its declared ones (a caseworker can ask for "other").
OTHER_DOCUMENT = DocumentRequirement("other", _("其他材料"), required=False)


def case_type_register(case_type: CaseType) -> CaseType:
    """Register (or, in tests, replace) a case type."""
    _REGISTRY[case_type.key] = case_type
    return case_type


def case_type_unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def case_type_get(key: str) -> CaseType:
    try:
        return _REGISTRY[key]
    except KeyError as exc:
        raise LookupError(f"Unknown case type {key!r}; register it in the app's ready().") from exc


def case_types() -> list[CaseType]:
    return list(_REGISTRY.values())
