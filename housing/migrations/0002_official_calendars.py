"""The State Council's published schedules of public holidays and adjusted working weekends for 2025 and 2026
(国务院办公厅关于2025年、2026年部分节假日安排的通知). An administrator adds each new year in the console when it
is published; until then that year counts weekends only."""

from django.db import migrations

CALENDARS = {
    2025: {
        "source": "国办发明电〔2024〕12号",
        "holidays": [
            "2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02",
            "2025-02-03", "2025-02-04", "2025-04-04", "2025-04-05", "2025-04-06", "2025-05-01", "2025-05-02",
            "2025-05-03", "2025-05-04", "2025-05-05", "2025-05-31", "2025-06-01", "2025-06-02", "2025-10-01",
            "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08",
        ],
        "adjusted_workdays": ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    },
    2026: {
        "source": "国办发明电〔2025〕7号",
        "holidays": [
            "2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18",
            "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", "2026-04-04", "2026-04-05",
            "2026-04-06", "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", "2026-06-19",
            "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26", "2026-09-27", "2026-10-01", "2026-10-02",
            "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07",
        ],
        "adjusted_workdays": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    },
}  # fmt: skip


def load(apps, schema_editor):
    OfficialCalendarYear = apps.get_model("housing", "OfficialCalendarYear")
    for year, values in CALENDARS.items():
        OfficialCalendarYear.objects.get_or_create(year=year, defaults=values)


def unload(apps, schema_editor):
    apps.get_model("housing", "OfficialCalendarYear").objects.filter(year__in=list(CALENDARS)).delete()


class Migration(migrations.Migration):
    dependencies = [("housing", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
