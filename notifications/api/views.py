from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors, services
from ..models import Notification
from .serializers import NotificationOutputSerializer


class NotificationViewSet(viewsets.GenericViewSet):
    """The caller's inbox. Nobody, staff included, reads another person's messages."""

    serializer_class = NotificationOutputSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.notification_list(user=self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        templates = services.notification_templates_for(page)
        data = NotificationOutputSerializer(page, many=True, context={"templates": templates}).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str) -> Response:
        try:
            notification = self.get_queryset().get(pk=int(pk))
        except (Notification.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        return Response(NotificationOutputSerializer(notification).data)

    @extend_schema(request=None, responses=NotificationOutputSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark one message read."""
        try:
            notification = self.get_queryset().get(pk=int(pk))
        except (Notification.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        services.notification_mark_read(recipient=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(NotificationOutputSerializer(notification).data)

    @extend_schema(responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}))
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": selectors.notification_unread_count(request.user)})

    @extend_schema(request=None, responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.notification_mark_all_read(recipient=request.user)})
