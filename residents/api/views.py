from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from yuean.errors import DomainError

from .. import selectors, services
from ..models import Resident
from .serializers import (
    ChildCreateInputSerializer,
    IdNumberRevealOutputSerializer,
    RegionSerializer,
    ResidentCreateInputSerializer,
    ResidentOutputSerializer,
    ResidentUpdateInputSerializer,
)


def client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


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
            raise DomainError("not_guardian", "只有本人可以为自己的家庭添加子女。")
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
        plaintext = services.resident_id_number_reveal(
            actor=request.user, resident=resident, ip=client_ip(request)
        )
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
