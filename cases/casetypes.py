"""Case types: what each kind of application declares about itself.

A case type names its required documents, its service-level deadline, who may decide it, its transitions
map, the panels its pages add and the console actions it adds. Every case lives in the one ``Case`` table (so
one queue, one deadline sweep and one visibility rule serve them all); a case type that needs fields of its
own keeps them in a detail model with a one-to-one link to its Case. Apps register their types in
``AppConfig.ready``.

A declaration is data. Where it names behaviour of its app (a check on submission, what approval does, the
context of a panel), it names the function by its dotted path, resolved when first called: the module that
declares a type imports neither the app's services nor its views, so no declaration closes an import circle,
and nothing in cases/ imports a domain app (docs/adr/0012).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .choices import CaseStatus as S

if TYPE_CHECKING:
    from django.http import HttpRequest

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


# A function the declaration names: its dotted path ("points.services.points_case_on_submit"), or the function
# itself (tests declare throw-away types with lambdas).
Hook = str | Callable[..., Any]


@cache
def _import(path: str) -> Callable[..., Any]:
    return import_string(path)


def hook_resolve(hook: Hook) -> Callable[..., Any]:
    return _import(hook) if isinstance(hook, str) else hook


@dataclass(frozen=True)
class CasePanel:
    """A block of a case type's own details on a case page: a template, and the function that gives its
    context, ``context(request, case) -> dict | None`` for a case the user already may see (None: nothing to
    show, e.g. a case opened without its details). ``draft_below``: on a draft the block comes after the
    documents, as the answers to check before submitting."""

    template: str
    context: Hook
    draft_below: bool = False

    def render(self, request: HttpRequest, case: Case, *, known: dict[Hook, Any] | None = None, **page: Any) -> str:
        """The block's HTML. ``known``: contexts already computed on this page, by hook (two blocks of one
        page that name the same context function read it once)."""
        known = {} if known is None else known
        if self.context not in known:
            known[self.context] = hook_resolve(self.context)(request, case)
        context = known[self.context]
        if context is None:
            return ""
        return render_to_string(self.template, {"case": case, **page, **context}, request=request)


@dataclass(frozen=True)
class ConsoleLink:
    """A type decided on a console page of its own: the generic case page links there (the URL is reversed
    with the case's id) instead of offering "approve"."""

    label: Promise | str
    url_name: str


@dataclass(frozen=True)
class CaseAction:
    """A step a caseworker takes on the console's case page besides the generic ones (take, approve,
    refuse, ask for documents): a permit's dispatch and delivery. The type's console panel draws its form,
    posting to the generic action URL with ``key``; ``run(*, actor, case, data, ip)`` calls the app's service
    with the posted data and answers the message shown when it is done. When the service refuses, the page
    comes back with the posted ``keep_fields``, so the caseworker corrects one character, not the form."""

    key: str
    label: Promise | str
    run: Hook
    keep_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseType:
    key: str
    label: Promise | str
    reference_prefix: str
    documents: tuple[DocumentRequirement, ...] = ()
    due_in: datetime.timedelta = datetime.timedelta(days=15)
    transitions: Mapping[str, frozenset[str]] = field(default_factory=lambda: STANDARD_TRANSITIONS)
    # Who may decide (approve, refuse, ask for documents), ``(user, case) -> bool``; None means a caseworker
    # covering the applicant's street, or an administrator (cases.permissions.may_decide_case).
    may_decide: Hook | None = None
    # Called inside the transition's transaction after the status has changed (e.g. issue the permit),
    # ``(*, case, source, target, actor)``; raises a DomainError to refuse the move.
    on_transition: Hook | None = None
    # When the checklist depends on the case (a permit's type decides its proofs): ``(case) -> documents``.
    documents_of: Hook | None = None
    # Labels of document keys the type's cases may carry that are not in ``documents`` (a permit type's
    # proofs, written by an administrator): ``(keys) -> {key: label}``, for the audit timeline.
    document_labels: Hook | None = None
    # The type's own conditions, checked when the applicant submits (e.g. half a year of residence),
    # ``(case) -> None``; raises a DomainError to refuse the submission.
    check_submit: Hook | None = None
    # A type whose application carries details of its own (a permit's type and delivery, a flat's unit type)
    # is started by its own service, never as a bare case (services.case_start refuses it).
    has_own_start: bool = False
    # What the applicant's case page shows of the type's own details.
    applicant_panel: CasePanel | None = None
    # What the console's case page shows of them, above the buttons…
    console_panel: CasePanel | None = None
    # …and the forms of the type's own actions, after the generic buttons.
    console_actions: CasePanel | None = None
    # A type decided on a console page of its own (a points application is reviewed item by item).
    console_link: ConsoleLink | None = None
    actions: tuple[CaseAction, ...] = ()

    def documents_for(self, case: Case) -> tuple[DocumentRequirement, ...]:
        return hook_resolve(self.documents_of)(case) if self.documents_of is not None else self.documents

    def document_for(self, case: Case, key: str) -> DocumentRequirement | None:
        return next((d for d in self.documents_for(case) if d.key == key), None)

    def document_keys_for(self, case: Case) -> frozenset[str]:
        return frozenset(d.key for d in self.documents_for(case))

    def allows(self, source: str, target: str) -> bool:
        return target in self.transitions.get(source, frozenset())

    def action(self, key: str) -> CaseAction | None:
        return next((a for a in self.actions if a.key == key), None)

    def call(self, hook_name: str, *args: Any, **kwargs: Any) -> Any:
        """Call one of the declared hooks (``on_transition``, ``check_submit``…); None when not declared."""
        hook = getattr(self, hook_name)
        return hook_resolve(hook)(*args, **kwargs) if hook is not None else None


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


def case_type_labels(keys: set[str]) -> dict[str, str]:
    """The labels of case types by key (a type since retired shows its key)."""
    return {key: str(_REGISTRY[key].label) for key in keys if key in _REGISTRY}


def case_document_labels(keys: set[str]) -> dict[str, str]:
    """Labels of document keys: the case types declare most; the rest are asked of the types that keep
    labels of their own (an administrator's permit-type checklist)."""
    declared = [OTHER_DOCUMENT, *(document for case_type in case_types() for document in case_type.documents)]
    labels = {document.key: str(document.label) for document in reversed(declared) if document.key in keys}
    for case_type in case_types():
        left = keys - labels.keys()
        if not left:
            break
        if case_type.document_labels is not None:
            found = hook_resolve(case_type.document_labels)(left)
            labels.update({key: label for key, label in found.items() if key in left})
    return labels
