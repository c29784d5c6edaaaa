"""The rental-housing API: properties with their verification, QR poster and move-in reports (人来申报), and
tenancies with the tenant's QR declaration, the landlord's confirmation and the move-out (人走注销). Reads go
through the selectors' visible_to scope (out of scope is 404), writes through the same services the landlord
pages and the caseworker console call."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.network import client_ip

from .. import selectors, services
from ..models import Property, Tenancy
from .serializers import (
    MoveInInputSerializer,
    PropertyListFilterSerializer,
    PropertyOutputSerializer,
    PropertyRegisterInputSerializer,
    PropertyRejectInputSerializer,
    TenancyDeclareInputSerializer,
    TenancyEndInputSerializer,
    TenancyListFilterSerializer,
    TenancyOutputSerializer,
)


def _tenancy_response(request: Request, tenancy: Tenancy, *, code: int = status.HTTP_200_OK) -> Response:
    """The tenancy as it is now, read again through the selector (property and tenant joined)."""
    fresh = selectors.tenancy_list(user=request.user).get(pk=tenancy.pk)
    context = {"request": request, "calendar": selectors.deadline_calendar([fresh])}
    return Response(TenancyOutputSerializer(fresh, context=context).data, status=code)


class PropertyViewSet(viewsets.GenericViewSet):
    """Rental properties the caller may see: a landlord's or agency's own; a caseworker's streets'; all for an
    administrator. A tenant sees their tenancy (`/api/v1/tenancies/`), not the property list.

    A landlord registers a property with its ownership proof (multipart); a caseworker of its street verifies
    (`verify/`) or rejects it with a reason (`reject/`). Once verified, the owner reports tenants moving in
    (`move-in/`) and prints the QR poster its `qr_url` leads to; `withdraw-qr/` invalidates every printed poster.
    """

    serializer_class = PropertyOutputSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.property_list_with_occupancy(user=self.request.user)

    def get_object(self) -> Property:
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (Property.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def _detail(self, request: Request, prop: Property, *, code: int = status.HTTP_200_OK) -> Response:
        """The property as it is now, read again through the selector (its occupants counted)."""
        fresh = self.get_queryset().get(pk=prop.pk)
        return Response(PropertyOutputSerializer(fresh, context={"request": request}).data, status=code)

    @extend_schema(parameters=[PropertyListFilterSerializer])
    def list(self, request: Request) -> Response:
        filters = PropertyListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        properties = self.get_queryset()
        if property_status := filters.validated_data.get("status"):
            properties = properties.filter(status=property_status)
        page = self.paginate_queryset(properties)
        return self.get_paginated_response(PropertyOutputSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PropertyOutputSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        request={"multipart/form-data": PropertyRegisterInputSerializer}, responses={201: PropertyOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        """Register a property with its ownership proof; it waits for the street's caseworker to verify it."""
        data = PropertyRegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prop = services.property_register(actor=request.user, **data.validated_data)
        return self._detail(request, prop, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PropertyOutputSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str) -> Response:
        """The ownership proof checks out. Caseworkers of the property's street."""
        prop = services.property_verify(actor=request.user, prop=self.get_object())
        return self._detail(request, prop)

    @extend_schema(request=PropertyRejectInputSerializer, responses=PropertyOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """The property is not verified; the landlord reads the reason. Caseworkers of the property's street."""
        prop = self.get_object()
        data = PropertyRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prop = services.property_reject(actor=request.user, prop=prop, reason=data.validated_data["reason"])
        return self._detail(request, prop)

    @extend_schema(request=MoveInInputSerializer, responses={201: TenancyOutputSerializer})
    @action(detail=True, methods=["post"], url_path="move-in", url_name="move-in")
    def move_in(self, request: Request, pk: str) -> Response:
        """人来申报: report a tenant moving in, by ID number, within three working days. A tenant the portal
        knows is matched; otherwise their record is started and they are invited by SMS (give their phone).
        A property already holding as many people as it is registered for refuses with 409."""
        prop = self.get_object()
        data = MoveInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenancy = services.tenancy_report_move_in(
            actor=request.user, prop=prop, ip=client_ip(request), **data.validated_data
        )
        return _tenancy_response(request, tenancy, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PropertyOutputSerializer)
    @action(detail=True, methods=["post"], url_path="withdraw-qr", url_name="withdraw-qr")
    def withdraw_qr(self, request: Request, pk: str) -> Response:
        """Invalidate every printed QR poster of the property (one was misused); the new `qr_url` replaces it."""
        prop = services.property_qr_withdraw(actor=request.user, prop=self.get_object())
        return self._detail(request, prop)


class TenancyViewSet(viewsets.GenericViewSet):
    """Tenancies the caller may see: those of a landlord's properties; a tenant's own (and their children's);
    a caseworker's streets'; all for an administrator.

    A signed-in tenant declares from the property's QR poster (`declare/`); the owner confirms it with one tap
    (`confirm/`) or says the declarer does not live there (`decline/`). `end/` is the move-out (人走注销): the
    tenancy and the tenant's residence registration end together. Reporting a move-in is on the property
    (`/api/v1/properties/{id}/move-in/`).
    """

    serializer_class = TenancyOutputSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.tenancy_list(user=self.request.user)

    def get_object(self) -> Tenancy:
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (Tenancy.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    @extend_schema(parameters=[TenancyListFilterSerializer])
    def list(self, request: Request) -> Response:
        filters = TenancyListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tenancies = self.get_queryset()
        if tenancy_status := filters.validated_data.get("status"):
            tenancies = tenancies.filter(status=tenancy_status)
        if (property_id := filters.validated_data.get("property")) is not None:
            tenancies = tenancies.filter(property_id=property_id)
        page = self.paginate_queryset(tenancies)
        context = {"request": request, "calendar": selectors.deadline_calendar(page)}
        return self.get_paginated_response(TenancyOutputSerializer(page, many=True, context=context).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        tenancy = self.get_object()
        context = {"request": request, "calendar": selectors.deadline_calendar([tenancy])}
        return Response(TenancyOutputSerializer(tenancy, context=context).data)

    @extend_schema(request=TenancyDeclareInputSerializer, responses={201: TenancyOutputSerializer})
    @action(detail=False, methods=["post"])
    def declare(self, request: Request) -> Response:
        """A signed-in tenant declares they live in the property of a QR poster; the landlord then confirms."""
        data = TenancyDeclareInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenancy = services.tenancy_declare(actor=request.user, ip=client_ip(request), **data.validated_data)
        return _tenancy_response(request, tenancy, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TenancyOutputSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """The owner confirms a tenant's declaration: the tenancy and the residence registration begin."""
        tenancy = services.tenancy_confirm(actor=request.user, tenancy=self.get_object(), ip=client_ip(request))
        return _tenancy_response(request, tenancy)

    @extend_schema(request=None, responses=TenancyOutputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """The owner says the declarer does not live there."""
        tenancy = services.tenancy_decline(actor=request.user, tenancy=self.get_object(), ip=client_ip(request))
        return _tenancy_response(request, tenancy)

    @extend_schema(request=TenancyEndInputSerializer, responses=TenancyOutputSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """人走注销: the tenant has moved out. The owner, within three working days."""
        tenancy = self.get_object()
        data = TenancyEndInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenancy = services.tenancy_end(
            actor=request.user, tenancy=tenancy, moved_out_on=data.validated_data["moved_out_on"],
            ip=client_ip(request),
        )  # fmt: skip
        return _tenancy_response(request, tenancy)
