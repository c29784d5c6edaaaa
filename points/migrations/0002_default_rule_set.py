"""The default 2026 rule set (points.scoring.default_rule_set), stored as the published version 2026.1.

Clearly illustrative: nothing public fixes Yuecheng's own indicators, so an administrator succeeds this
version with the district's real values in the admin.
"""

from django.db import migrations
from django.utils import timezone


def load_default(apps, schema_editor):
    from points import scoring
    from points.rulejson import rule_to_json

    RuleSet = apps.get_model("points", "RuleSet")
    Indicator = apps.get_model("points", "Indicator")
    default = scoring.default_rule_set(2026)
    if RuleSet.objects.filter(year=default.year, version=default.version).exists():
        return
    rule_set = RuleSet.objects.create(
        year=default.year,
        version=default.version,
        status="published",
        published_at=timezone.now(),
        tie_break_zh=default.tie_break_zh,
        tie_break_en=default.tie_break_en,
        tie_break_keys=[scoring.RESIDENCE_YEARS],
        category_caps={str(category): f"{cap.normalize():f}" for category, cap in default.category_caps.items()},
    )
    Indicator.objects.bulk_create(
        Indicator(
            rule_set=rule_set,
            key=indicator.key,
            label_zh=indicator.label_zh,
            label_en=indicator.label_en,
            category=str(indicator.category),
            source=str(indicator.source),
            unit_zh=indicator.unit_zh,
            unit_en=indicator.unit_en,
            rule=rule_to_json(indicator.rule),
            sort_order=(position + 1) * 10,
        )
        for position, indicator in enumerate(default.indicators)
    )


def remove_default(apps, schema_editor):
    apps.get_model("points", "RuleSet").objects.filter(year=2026, version="2026.1", supersedes=None).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(load_default, remove_default)]
