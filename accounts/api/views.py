from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from residents.api.serializers import ResidentOutputSerializer
from residents.selectors import resident_of_user, resident_profile_missing


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
        resident = resident_of_user(user=user)
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "phone": user.phone,
                "roles": sorted(user.groups.values_list("name", flat=True)),
                "resident": ResidentOutputSerializer(resident).data if resident else None,
                "profile_missing": resident_profile_missing(resident),
            }
        )
