from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.network import client_ip
from kernel.errors import DomainError

from .. import selectors, services
from ..models import ResidenceRegistration, Resident
from .serializers import (
    ChildCreateInputSerializer,
    IdNumberRevealOutputSerializer,
    RegionSerializer,
    ResidenceEndInputSerializer,
    ResidenceRegistrationInputSerializer,
    ResidenceRegistrationOutputSerializer,
    ResidentCreateInputSerializer,
    ResidentOutputSerializer,
    ResidentUpdateInputSerializer,
)


class ResidentViewSet(viewsets.GenericViewSet):
    """Residents the caller may see: themselves and their children; caseworkers the streets they cover."""

    serializer_class = ResidentOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.resident_list(user=self.request.user)

    def get_object(self) -> Resident:
        try:
            return selectors.resident_get(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (Resident.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ResidentOutputSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ResidentOutputSerializer(self.get_object()).data)

    @extend_schema(request=ResidentCreateInputSerializer, responses={201: ResidentOutputSerializer})
    def create(self, request: Request) -> Response:
        """Create the caller's own resident profile."""
        data = ResidentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resident = services.resident_profile_create(
            actor=request.user, user=request.user, ip=client_ip(request), **data.validated_data
        )
        return Response(ResidentOutputSerializer(resident).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResidentUpdateInputSerializer, responses=ResidentOutputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        resident = self.get_object()
        data = ResidentUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        resident = services.resident_update(
            actor=request.user, resident=resident, ip=client_ip(request), **data.validated_data
        )
        return Response(ResidentOutputSerializer(resident).data)

    @extend_schema(request=ChildCreateInputSerializer, responses={201: ResidentOutputSerializer})
    @action(detail=True, methods=["post"])
    def children(self, request: Request, pk: str) -> Response:
        """Add a child (no login) to this resident's family. Only the resident themself may do it."""
        guardian = self.get_object()
        if guardian.user_id != request.user.pk:
            raise DomainError("not_guardian", _("只有本人可以为自己的家庭添加子女。"))
        data = ChildCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        child = services.resident_child_add(
            actor=request.user, guardian=guardian, ip=client_ip(request), **data.validated_data
        )
        return Response(ResidentOutputSerializer(child).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=IdNumberRevealOutputSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-id-number")
    def reveal_id_number(self, request: Request, pk: str) -> Response:
        """Show the full ID number to a caseworker in scope; the disclosure is recorded."""
        resident = self.get_object()
        plaintext = services.resident_id_number_reveal(actor=request.user, resident=resident, ip=client_ip(request))
        response = Response({"id_number": plaintext})
        response["Cache-Control"] = "no-store"
        return response


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The district, its streets and communities. Public: they name places, not people."""

    serializer_class = RegionSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        parent = self.request.query_params.get("parent")
        return selectors.region_list(
            kind=self.request.query_params.get("kind") or None,
            parent_id=int(parent) if parent and parent.isdigit() else None,
        )


class ResidenceRegistrationViewSet(viewsets.GenericViewSet):
    """Residence registrations (居住登记) the caller may see. Registering again is a change of address."""

    serializer_class = ResidenceRegistrationOutputSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.residence_registrations(user=self.request.user)

    def get_object(self) -> ResidenceRegistration:
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (ResidenceRegistration.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def list(self, request: Request) -> Response:
        registrations = self.get_queryset()
        if (current := request.query_params.get("current")) in ("true", "false"):
            registrations = registrations.filter(ended_on__isnull=current == "true")
        page = self.paginate_queryset(registrations)
        return self.get_paginated_response(ResidenceRegistrationOutputSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ResidenceRegistrationOutputSerializer(self.get_object()).data)

    @extend_schema(request=ResidenceRegistrationInputSerializer, responses={201: ResidenceRegistrationOutputSerializer})
    def create(self, request: Request) -> Response:
        data = ResidenceRegistrationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            resident = selectors.resident_get(user=request.user, pk=values.pop("resident"))
        except Resident.DoesNotExist as exc:
            raise DomainError("resident_not_found", _("找不到这位居民。"), field="resident") from exc
        registration = services.residence_register(
            actor=request.user, resident=resident, ip=client_ip(request), **values
        )
        return Response(ResidenceRegistrationOutputSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResidenceEndInputSerializer, responses=ResidenceRegistrationOutputSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """Deregister: the resident no longer lives there."""
        data = ResidenceEndInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.residence_end(
            actor=request.user, registration=self.get_object(), ended_on=data.validated_data["ended_on"],
            reason=data.validated_data.get("reason", ""), ip=client_ip(request),
        )  # fmt: skip
        return Response(ResidenceRegistrationOutputSerializer(registration).data)


class MeView(APIView):
    """The signed-in user, their roles, their resident profile (if any) and what it still lacks."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "email": serializers.EmailField(),
                "phone": serializers.CharField(allow_null=True),
                "roles": serializers.ListField(child=serializers.CharField()),
                "resident": ResidentOutputSerializer(allow_null=True),
                "profile_missing": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        user = request.user
        resident = selectors.resident_of_user(user=user)
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "phone": user.phone,
                "roles": sorted(user.groups.values_list("name", flat=True)),
                "resident": ResidentOutputSerializer(resident).data if resident else None,
                "profile_missing": selectors.resident_profile_missing(resident),
            }
        )
