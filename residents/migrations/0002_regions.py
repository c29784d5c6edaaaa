"""The district and its sixteen sub-divisions (fifteen streets and 富盛镇). Communities are demo data."""

from django.db import migrations

DISTRICT = ("330602", "越城区")
STREETS = [
    "塔山街道", "府山街道", "北海街道", "城南街道", "稽山街道", "迪荡街道", "东湖街道", "灵芝街道",
    "东浦街道", "鉴湖街道", "皋埠街道", "马山街道", "斗门街道", "陶堰街道", "孙端街道", "富盛镇",
]  # fmt: skip


def load_regions(apps, schema_editor):
    Region = apps.get_model("residents", "Region")
    district, _ = Region.objects.get_or_create(
        code=DISTRICT[0], defaults={"name": DISTRICT[1], "kind": "district", "sort_order": 0}
    )
    for index, name in enumerate(STREETS, start=1):
        Region.objects.get_or_create(
            code=f"{DISTRICT[0]}{index:03d}",
            defaults={"name": name, "kind": "street", "parent": district, "sort_order": index},
        )


def unload_regions(apps, schema_editor):
    Region = apps.get_model("residents", "Region")
    Region.objects.filter(kind="street", parent__code=DISTRICT[0]).delete()
    Region.objects.filter(code=DISTRICT[0]).delete()


class Migration(migrations.Migration):
    dependencies = [("residents", "0001_initial")]
    operations = [migrations.RunPython(load_regions, unload_regions)]
