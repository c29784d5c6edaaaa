
from rest_framework import serializers

from ..choices import Education, Gender, GuardianRelation, RegionKind, RegistrationBasis
from ..models import Region, ResidenceRegistration, Resident


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "kind", "parent"]


class ResidentOutputSerializer(serializers.ModelSerializer):
    """A resident as shown to anyone allowed to see them: the ID number only ever masked."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    hukou_province_name = serializers.CharField(read_only=True)
    is_archived = serializers.BooleanField(read_only=True)
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id", "name", "id_number", "gender", "birth_date", "hukou_province", "hukou_province_name",
            "hukou_address", "phone", "education", "community", "street", "address", "arrival_date",
            "is_archived", "has_login", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_login(self, resident: Resident) -> bool:
        return resident.user_id is not None


class _ProfileFieldsSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    hukou_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    education = serializers.ChoiceField(choices=Education.choices, required=False, allow_blank=True)
    community = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.filter(kind=RegionKind.COMMUNITY), required=False, allow_null=True
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    arrival_date = serializers.DateField(required=False, allow_null=True)


class ResidentCreateInputSerializer(_ProfileFieldsSerializer):
    name = serializers.CharField(max_length=64)
    id_number = serializers.CharField(max_length=32, write_only=True)


class ResidentUpdateInputSerializer(_ProfileFieldsSerializer):
    name = serializers.CharField(max_length=64, required=False)
    id_number = serializers.CharField(max_length=32, required=False, write_only=True)


class ChildCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    relation = serializers.ChoiceField(choices=GuardianRelation.choices)
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True, write_only=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)


class IdNumberRevealOutputSerializer(serializers.Serializer):
    id_number = serializers.CharField()


class ResidenceRegistrationOutputSerializer(serializers.ModelSerializer):
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = ResidenceRegistration
        fields = [
            "id", "resident", "community", "street", "address", "basis", "started_on", "ended_on", "end_reason",
            "is_current", "registered_at",
        ]  # fmt: skip
        read_only_fields = fields


class ResidenceRegistrationInputSerializer(serializers.Serializer):
    resident = serializers.IntegerField(help_text="The resident registering: oneself or one's child.")
    community = serializers.PrimaryKeyRelatedField(queryset=Region.objects.filter(kind=RegionKind.COMMUNITY))
    address = serializers.CharField(max_length=200)
    basis = serializers.ChoiceField(choices=RegistrationBasis.choices)
    started_on = serializers.DateField()


class ResidenceEndInputSerializer(serializers.Serializer):
    ended_on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
