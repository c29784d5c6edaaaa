"""Demo data of rental housing, on top of seed_demo's accounts: the demo landlord's verified property with two
tenants and a tenant's declaration waiting to be confirmed, and a property waiting for the street to verify it.
Idempotent (run after seed_demo; `make run` does)."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from housing import services
from housing.models import Property, Tenancy
from residents.demo import demo_id_number
from residents.models import Region, Resident

# A one-page PDF standing in for the scanned property certificate.
PROOF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
VERIFIED_ADDRESS = "塔山街道环山路 66 号 3 幢 502 室"
PENDING_ADDRESS = "府山街道胜利西路 9 号 1 幢 201 室"


class Command(BaseCommand):
    help = "Load the rental-housing demo (after seed_demo). Idempotent."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            landlord = User.objects.get(username="demo_landlord")
            caseworker = User.objects.get(username="demo_caseworker")
            newcomer = User.objects.get(username="demo_newcomer")
        except User.DoesNotExist as exc:
            raise CommandError("Run seed_demo first.") from exc
        with transaction.atomic():
            self._seed(landlord, caseworker, newcomer)
        self.stdout.write(
            self.style.SUCCESS("Rental-housing demo ready: demo_landlord's properties at /housing/properties/.")
        )

    def _property(self, landlord: User, address: str, community_code: str, max_occupants: int) -> Property:
        if existing := Property.objects.filter(owner=landlord, address=address).first():
            return existing
        return services.property_register(
            actor=landlord, address=address, community=Region.objects.get(code=community_code), rooms=3,
            floor_area="86.5", max_occupants=max_occupants, owner_name="陈伟民",
            ownership_proof=SimpleUploadedFile("不动产权证书.pdf", PROOF),
        )  # fmt: skip

    def _seed(self, landlord: User, caseworker: User, newcomer: User) -> None:
        verified = self._property(landlord, VERIFIED_ADDRESS, "330602001002", max_occupants=4)
        if verified.status != "verified":
            verified = services.property_verify(actor=caseworker, prop=verified)
        self._property(landlord, PENDING_ADDRESS, "330602002001", max_occupants=2)
        today = timezone.localdate()
        tenants = [
            ("孙志强", demo_id_number("342401", datetime.date(1992, 7, 8), 517), "+8613900000011", 40),
            ("吴丽娟", demo_id_number("511321", datetime.date(1996, 2, 19), 284), "+8613900000012", 12),
        ]
        for name, id_number, phone, days_ago in tenants:
            if Tenancy.objects.filter(property=verified, tenant__name=name).exists():
                continue
            services.tenancy_report_move_in(
                actor=landlord, prop=verified, id_number=id_number, name=name, phone=phone,
                move_in_date=today - datetime.timedelta(days=days_ago),
                lease_end_date=today + datetime.timedelta(days=365 - days_ago),
            )  # fmt: skip
        # 刘晓燕 (demo_newcomer) scanned the poster: her declaration waits for the landlord's tap.
        tenant = Resident.objects.filter(user=newcomer).first()
        if tenant is not None and not Tenancy.objects.filter(property=verified, tenant=tenant).exists():
            services.tenancy_declare(
                actor=newcomer, token=services.property_qr_token(verified),
                move_in_date=today - datetime.timedelta(days=1),
            )  # fmt: skip
