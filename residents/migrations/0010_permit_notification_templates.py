"""The default wording of the permit messages (courier and tracking, collection, endorsement reminders, the
suspension notice). Administrators edit them in the admin; this only fills what is missing."""

from django.db import migrations

from notifications.defaults import templates_load_operation

TEMPLATES = [
    # key, description, title_zh, body_zh, title_en, body_en, sms, email
    (
        "permit.dispatched", "居住证已寄出（快递单号）",
        "居住证已寄出",
        "您的居住证（{{ reference }}）已由{{ courier }}寄出，快递单号 {{ tracking_number }}，请留意查收。",
        "Residence permit sent",
        "Your residence permit ({{ reference }}) has been sent by {{ courier }}, tracking number "
        "{{ tracking_number }}.",
        True, True,
    ),
    (
        "permit.ready_for_collection", "居住证可到窗口领取",
        "居住证可以领取了",
        "您的居住证（{{ reference }}）已制作完成，请携带身份证到{{ window }}领取。",
        "Residence permit ready",
        "Your residence permit ({{ reference }}) is ready. Please collect it with your ID card at {{ window }}.",
        True, True,
    ),
    (
        "permit.endorsement_due", "居住证签注提醒（届满前 30 天、7 天）",
        "请办理居住证签注",
        "您的居住证（{{ number }}）有效期至 {{ valid_until }}，还有 {{ days }} 天。请在此之前在越安家办理签注，"
        "逾期未签注的居住证将中止使用。",
        "Residence permit endorsement due",
        "Your residence permit ({{ number }}) is valid until {{ valid_until }}, {{ days }} days from now. Please "
        "endorse it in Yuean before then; a permit not endorsed in time is suspended.",
        True, True,
    ),
    (
        "permit.lapsed", "居住证未按时签注、已中止使用",
        "居住证已中止使用",
        "您的居住证（{{ number }}）未在 {{ valid_until }} 前签注，已中止使用。补办签注即可恢复，"
        "但连续居住年限将从补办之日起重新计算。",
        "Residence permit suspended",
        "Your residence permit ({{ number }}) was not endorsed by {{ valid_until }} and is suspended. Endorsing it "
        "now restores it, but continuous residence is then counted again from that day.",
        True, True,
    ),
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("residents", "0009_permits"), ("notifications", "0002_default_templates")]
    operations = [templates_load_operation(TEMPLATES)]
