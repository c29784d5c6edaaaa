"""Factories for the standing cast. ID numbers are generated valid (GB 11643-1999) and unique."""

from __future__ import annotations

import datetime
import itertools

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from residents.choices import RegionKind
from residents.models import GuardianLink, Jurisdiction, Region, Resident
from residents.pii import id_number_check_character, id_number_encrypt, id_number_hash, id_number_mask

PASSWORD = "correct-horse-battery-42"
_sequence = itertools.count(1)


def years_ago(years: int, *, today: datetime.date | None = None) -> datetime.date:
    """The same calendar day ``years`` years before today (28 February when that year has no 29th)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def compose_id_number(region: str, birth: datetime.date, sequence: int) -> str:
    """The ID number with these parts (six-digit region, birth date, three-digit sequence) and its check."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_character(first17)


def make_id_number(
    birth: datetime.date = datetime.date(1990, 1, 1), *, prefix: str = "412827", male: bool = True
) -> str:
    """A valid, never-repeated ID number for the given birth date."""
    n = next(_sequence)
    seq = (n * 2 + (1 if male else 0)) % 1000  # digit 17 odd for men
    first17 = f"{prefix}{birth:%Y%m%d}{seq:03d}"
    if n >= 500:  # spread over birth days too, so more than 500 numbers stay unique
        first17 = f"{prefix}{birth + datetime.timedelta(days=n // 500):%Y%m%d}{seq:03d}"
    return first17 + id_number_check_character(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    phone_verified = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        for role in extracted or [Role.RESIDENT]:
            self.groups.add(Group.objects.get(name=role))
        self.save()


def street(name: str = "塔山街道") -> Region:
    return Region.objects.get(kind=RegionKind.STREET, name=name)


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"测试{n}社区")
    kind = RegionKind.COMMUNITY
    parent = factory.LazyFunction(street)


class ResidentFactory(factory.django.DjangoModelFactory):
    """A resident written straight to the table (no audit row): for setting the scene, not for testing
    the services that create residents."""

    class Meta:
        model = Resident
        exclude = ["plain_id_number"]

    name = factory.Sequence(lambda n: f"居民{n}")
    plain_id_number = factory.LazyFunction(make_id_number)
    id_number_ciphertext = factory.LazyAttribute(lambda r: id_number_encrypt(r.plain_id_number))
    id_number_hash = factory.LazyAttribute(lambda r: id_number_hash(r.plain_id_number))
    id_number_masked = factory.LazyAttribute(lambda r: id_number_mask(r.plain_id_number))
    birth_date = datetime.date(1990, 1, 1)
    gender = "male"
    hukou_province = "41"
    community = factory.SubFactory(CommunityFactory)
    street = factory.LazyAttribute(lambda r: r.community.parent if r.community else None)
    phone = factory.Sequence(lambda n: f"+86137{n:08d}")


def guardian_link(guardian: Resident, child: Resident, relation: str = "parent") -> GuardianLink:
    return GuardianLink.objects.create(guardian=guardian, child=child, relation=relation)


def caseworker_for(*streets: Region, **kwargs) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(roles=[Role.CASEWORKER], is_staff=True, **kwargs)
    for s in streets:
        Jurisdiction.objects.create(caseworker=user, street=s)
    return user
