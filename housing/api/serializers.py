"""Serializers of the rental-housing API: inputs check the shape of a request (the services check the rules),
outputs shape what a client sees. A tenant's ID number is accepted on input and never returned, only its mask;
a property's QR token appears only inside ``qr_url``, and only for its owner."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from residents.choices import RegionKind
from residents.models import Region

from .. import services, workdays
from ..choices import PropertyStatus, TenancyStatus
from ..models import Property, Tenancy

# --- properties ---------------------------------------------------------------------------------------


class PropertyOutputSerializer(serializers.ModelSerializer):
    """A rental property as its owner, the street's caseworker or an administrator sees it.

    Expects ``occupant_count`` annotated (selectors.property_list_with_occupancy) and ``request`` in the
    context (qr_url is absolute, and shown to the owner only).
    """

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    street_name = serializers.CharField(source="street.name", read_only=True)
    occupants = serializers.IntegerField(source="occupant_count", read_only=True, help_text="Tenants living there now.")
    qr_url = serializers.SerializerMethodField(
        help_text="The link of the property's QR poster (一房一码): only once verified, and only for its owner."
    )

    class Meta:
        model = Property
        fields = [
            "id", "status", "status_label", "address", "community", "community_name", "street", "street_name",
            "rooms", "floor_area", "max_occupants", "occupants", "owner_name", "rejection_reason", "verified_at",
            "created_at", "qr_url",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_qr_url(self, prop: Property) -> str | None:
        request = self.context.get("request")
        if request is None or prop.status != PropertyStatus.VERIFIED or prop.owner_id != request.user.pk:
            return None
        # Where the QR poster leads: the tenant's self-declaration page, the property already filled in.
        return request.build_absolute_uri(reverse("housing:declare", args=[services.property_qr_token(prop)]))


class PropertyListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PropertyStatus.choices, required=False)


class PropertyRegisterInputSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=200)
    community = serializers.PrimaryKeyRelatedField(queryset=Region.objects.filter(kind=RegionKind.COMMUNITY))
    owner_name = serializers.CharField(max_length=64, help_text="The owner on the ownership proof (产权人).")
    rooms = serializers.IntegerField()
    floor_area = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="Square metres.")
    max_occupants = serializers.IntegerField(help_text="The most people allowed to live there (核定居住人数).")
    ownership_proof = serializers.FileField(help_text="Property certificate, purchase contract or community proof.")


class PropertyRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Shown to the landlord.")


class MoveInInputSerializer(serializers.Serializer):
    """人来申报: the tenant by ID number. A phone number is needed only for a tenant the portal does not know
    yet (they are invited by SMS to complete their record)."""

    id_number = serializers.CharField(max_length=32, write_only=True)
    name = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    move_in_date = serializers.DateField()
    lease_end_date = serializers.DateField(required=False, allow_null=True, default=None)


# --- tenancies ----------------------------------------------------------------------------------------


class TenancyOutputSerializer(serializers.ModelSerializer):
    """A tenancy as the property's owner, the tenant (or their guardian), the street's caseworker or an
    administrator sees it: the tenant's ID number only ever masked.

    ``deadline_estimated`` is true when the reporting deadline was counted over a year whose official holiday
    schedule is not yet published (weekends only). Pass a ``calendar`` (selectors.deadline_calendar) in the
    context for a list, so that a page reads the schedules once.
    """

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    property_address = serializers.CharField(source="property.address", read_only=True)
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)
    tenant_id_number = serializers.CharField(source="tenant.id_number_masked", read_only=True)
    deadline_estimated = serializers.SerializerMethodField()

    class Meta:
        model = Tenancy
        fields = [
            "id", "property", "property_address", "tenant", "tenant_name", "tenant_id_number", "status",
            "status_label", "source", "source_label", "move_in_date", "lease_end_date", "move_in_due_on",
            "deadline_estimated", "move_in_reported_at", "moved_out_on", "move_out_reported_at", "registration",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_deadline_estimated(self, tenancy: Tenancy) -> bool:
        calendar = self.context.get("calendar")
        return workdays.working_days_after(tenancy.move_in_date, calendar=calendar).estimated


class TenancyListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TenancyStatus.choices, required=False)
    property = serializers.IntegerField(required=False, help_text="Only the tenancies of this property.")


class TenancyEndInputSerializer(serializers.Serializer):
    moved_out_on = serializers.DateField(help_text="The day the tenant moved out (人走注销).")


class TenancyDeclareInputSerializer(serializers.Serializer):
    """A signed-in tenant's self-declaration from the property's QR poster; the landlord confirms it."""

    token = serializers.CharField(max_length=500, help_text="The token of the QR link (/housing/declare/<token>/).")
    move_in_date = serializers.DateField()
    lease_end_date = serializers.DateField(required=False, allow_null=True, default=None)
