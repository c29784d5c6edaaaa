"""The residence-permit API: applications (and card replacements) with their delivery, eligibility, and the
permits themselves with their yearly endorsement. Reads go through the selectors' visible_to scope (out of scope
is 404), writes through the same services the pages and the caseworker console call."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.network import client_ip
from cases import services as cases_services
from cases.api.views import CaseDetailsViewSet, case_details_schema
from cases.models import Case
from kernel.errors import DomainError
from permits.models import DELIVERY_FIELDS
from residents import selectors as residents_selectors
from residents.models import Resident

from .. import selectors, services
from ..models import Permit, PermitType
from .serializers import (
    PermitApplicationDetailOutputSerializer,
    PermitApplicationOutputSerializer,
    PermitApplicationStartInputSerializer,
    PermitApplicationUpdateInputSerializer,
    PermitDetailOutputSerializer,
    PermitDispatchInputSerializer,
    PermitEligibilityOutputSerializer,
    PermitEndorseOutputSerializer,
    PermitOutputSerializer,
    PermitReplacementInputSerializer,
)


def _permit_type_of(key: str) -> PermitType:
    """The permit type with this key (a closed one is refused by the service, with its own message)."""
    try:
        return selectors.permit_type_get(key)
    except PermitType.DoesNotExist as exc:
        raise DomainError(
            "permit_type_unknown", _("没有这种居住证类型，请从可申领的类型中选择。"), field="permit_type"
        ) from exc


@case_details_schema(output=PermitApplicationOutputSerializer, detail=PermitApplicationDetailOutputSerializer)
class PermitApplicationViewSet(CaseDetailsViewSet):
    """Residence-permit applications and card replacements the caller may see: their own and their children's;
    a caseworker's streets'.

    Applicants start an application (the permit type and how the card reaches them), correct it before a
    decision and submit it; caseworkers dispatch the card (express with courier and tracking number, or ready
    at the window) and record its delivery. Everything else is the generic casework at
    `/api/v1/cases/{id}/…` with the same id (returned as `id` and `case_url`): uploading documents
    (`documents/`), asking for missing documents (`request-documents/`), resubmitting (`resubmit/`), approving
    (`approve/`, which issues the permit), refusing (`refuse/`), withdrawing (`withdraw/`) and assigning
    (`assign/`). `eligibility/` tells what a resident may apply for today, and when they will qualify if not yet.
    """

    serializer_class = PermitApplicationOutputSerializer
    detail_serializer_class = PermitApplicationDetailOutputSerializer

    def cases_of(self, user: User) -> QuerySet[Case]:
        return selectors.permit_applications(user=user)

    @extend_schema(
        request=PermitApplicationStartInputSerializer, responses={201: PermitApplicationDetailOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        """Start an application (a draft). Its checklist tells which documents to upload before submitting."""
        data = PermitApplicationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            applicant = residents_selectors.resident_get(user=request.user, pk=values.pop("applicant"))
        except Resident.DoesNotExist as exc:
            raise DomainError("applicant_not_found", _("找不到这位申请人。"), field="applicant") from exc
        permit_type = _permit_type_of(values.pop("permit_type"))
        case = services.permit_application_start(
            actor=request.user, applicant=applicant, permit_type=permit_type, ip=client_ip(request), **values
        )
        return self._detail(request, case, code=status.HTTP_201_CREATED)

    @extend_schema(request=PermitApplicationUpdateInputSerializer, responses=PermitApplicationDetailOutputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Correct the permit type (while a draft) or the delivery details (before a decision)."""
        case = self.get_object()
        data = PermitApplicationUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        permit_type = _permit_type_of(values.pop("permit_type")) if "permit_type" in values else None
        delivery = {field: values[field] for field in DELIVERY_FIELDS if field in values}
        case = services.permit_application_update(
            actor=request.user, case=case, permit_type=permit_type, ip=client_ip(request), **delivery
        )
        return self._detail(request, case)

    @extend_schema(request=None, responses=PermitApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        case = cases_services.case_submit(actor=request.user, case=self.get_object(), ip=client_ip(request))
        return self._detail(request, case)

    @extend_schema(request=PermitDispatchInputSerializer, responses=PermitApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_card(self, request: Request, pk: str) -> Response:
        """The card is made: sent by express (courier and tracking number), or ready at the window. Caseworkers."""
        case = self.get_object()
        data = PermitDispatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.permit_dispatch(actor=request.user, case=case, ip=client_ip(request), **data.validated_data)
        return self._detail(request, case)

    @extend_schema(request=None, responses=PermitApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str) -> Response:
        """The applicant has the card (signed for, or collected at the window). Caseworkers."""
        case = services.permit_deliver(actor=request.user, case=self.get_object(), ip=client_ip(request))
        return self._detail(request, case)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "applicant", OpenApiTypes.INT, required=False,
                description="A resident the caller may see (oneself or one's child); the caller's own by default.",
            )
        ],
        responses=PermitEligibilityOutputSerializer,
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def eligibility(self, request: Request) -> Response:
        """What the resident may apply for today: the facts of the half-year rule and every permit type offered."""
        applicant = self._eligibility_applicant(request)
        facts = selectors.permit_eligibility(resident=applicant)
        permit_types: list[dict[str, Any]] = [
            {
                "key": permit_type.key, "name_zh": permit_type.name_zh, "name_en": permit_type.name_en,
                "basis": permit_type.basis, "description_zh": permit_type.description_zh,
                "description_en": permit_type.description_en,
                "exempt_from_residence_rule": permit_type.exempt_from_residence_rule,
                "documents": permit_type.documents, "allowed": facts.allows(permit_type),
            }
            for permit_type in selectors.permit_types_offered()
        ]  # fmt: skip
        body = {
            "applicant": applicant.pk, "applicant_name": applicant.name, "registered": facts.registered,
            "continuous_since": facts.continuous_since, "eligible_from": facts.eligible_from,
            "residence_met": facts.residence_met,
            "permit_number": facts.permit.number if facts.permit is not None else None,
            "open_application": facts.open_application.pk if facts.open_application is not None else None,
            "open_application_reference": facts.open_application.reference if facts.open_application else None,
            "permit_types": permit_types,
        }  # fmt: skip
        return Response(PermitEligibilityOutputSerializer(body).data)

    def _eligibility_applicant(self, request: Request) -> Resident:
        raw = request.query_params.get("applicant")
        if raw is None or raw == "":
            own = residents_selectors.resident_of_user(user=request.user)
            if own is None:
                raise DomainError(
                    "resident_profile_missing", _("请先建立居民档案，或指明为哪位居民查询。"), field="applicant"
                )
            return own
        try:
            return residents_selectors.resident_get(user=request.user, pk=int(raw))
        except (Resident.DoesNotExist, ValueError) as exc:
            raise Http404 from exc


class PermitViewSet(viewsets.GenericViewSet):
    """Residence permits the caller may see: their own and their children's; a caseworker's streets' (a permit
    follows its holder's current street).

    A permit is valid through `valid_until`; past it, it is suspended until endorsed. `endorse/` asks for this
    year's endorsement (from the month before `valid_until` on, late included) and is approved at once while
    the holder is registered in the district. `replace/` applies for a new card when it is lost or damaged; the
    replacement is then a permit application (`/api/v1/permit-applications/{id}/`).
    """

    serializer_class = PermitOutputSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.permit_list(user=self.request.user)

    def get_object(self) -> Permit:
        try:
            return selectors.permit_get(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (Permit.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "valid", OpenApiTypes.BOOL, required=False,
                description="true: valid today; false: suspended (past valid_until).",
            )
        ]
    )  # fmt: skip
    def list(self, request: Request) -> Response:
        permits = self.get_queryset()
        if (valid := request.query_params.get("valid")) in ("true", "false"):
            today = timezone.localdate()
            permits = permits.valid_on(today) if valid == "true" else permits.lapsed_on(today)
        page = self.paginate_queryset(permits)
        return self.get_paginated_response(PermitOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(responses=PermitDetailOutputSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PermitDetailOutputSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(request=None, responses={201: PermitEndorseOutputSerializer})
    @action(detail=True, methods=["post"])
    def endorse(self, request: Request, pk: str) -> Response:
        """Ask for this year's endorsement (签注)."""
        permit = self.get_object()
        case = services.permit_endorse(actor=request.user, permit=permit, ip=client_ip(request))
        permit = selectors.permit_get(user=request.user, pk=permit.pk)
        body = {
            "id": case.pk, "reference": case.reference, "status": case.status,
            "status_label": case.get_status_display(), "late": case.endorsement.late,
            "valid_until": permit.valid_until,
        }  # fmt: skip
        return Response(PermitEndorseOutputSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PermitReplacementInputSerializer, responses={201: PermitApplicationDetailOutputSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request: Request, pk: str) -> Response:
        """Apply for a new card (lost or damaged): the same number and validity, a new QR code once approved."""
        permit = self.get_object()
        data = PermitReplacementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.permit_replacement_start(
            actor=request.user, permit=permit, ip=client_ip(request), **data.validated_data
        )
        fresh = selectors.permit_application_get(user=request.user, pk=case.pk)
        return Response(PermitApplicationDetailOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)
