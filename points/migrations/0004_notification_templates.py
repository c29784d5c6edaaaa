"""The default wording of the points messages. Administrators edit them in the admin; this only fills what is
missing."""

from django.db import migrations

from notifications.defaults import templates_load_operation

TEMPLATES = [
    # key, description, title_zh, body_zh, title_en, body_en, sms, email
    (
        "points.scored", "积分核定完成（附总分）",
        "积分已核定",
        "您的积分申请（{{ reference }}）已核定，总分 {{ total }} 分（积分规则 {{ version }}）。每一项的核定结果和理由"
        "可在申请页面查看。",
        "Points verified",
        "Your points application ({{ reference }}) has been verified: {{ total }} points (rules {{ version }}). "
        "Each item's decision and its reason are on the application page.",
        True, True,
    ),
    (
        "points.objection_received", "积分异议已受理",
        "积分异议已受理",
        "您对积分申请（{{ reference }}）提出的异议已受理，工作人员会重新核定有异议的项目，并告诉您结果。",
        "Objection received",
        "Your objection to the points of application {{ reference }} has been received. A caseworker will review "
        "the items you contested and tell you the result.",
        False, True,
    ),
    (
        "points.ranking_published", "积分排名公示（附名次和异议截止日）",
        "积分排名已公示",
        "{{ round }}排名已公示：您的申请（{{ reference }}）总分 {{ total }} 分，排第 {{ position }} 名。如对核定结果"
        "有异议，请在 {{ objection_ends_on }} 前在申请页面提出。",
        "Points ranking published",
        "The ranking of {{ round }} is published: your application ({{ reference }}) has {{ total }} points and is "
        "number {{ position }}. If you disagree with a decision, object on the application page by "
        "{{ objection_ends_on }}.",
        True, True,
    ),
    (
        "points.ranking_final", "最终积分排名公布",
        "最终积分排名已公布",
        "{{ round }}最终排名已公布：您的申请（{{ reference }}）总分 {{ total }} 分，排第 {{ position }} 名。",
        "Final points ranking published",
        "The final ranking of {{ round }} is published: your application ({{ reference }}) has {{ total }} points "
        "and is number {{ position }}.",
        True, True,
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0003_applications_rounds_rankings"),
        ("notifications", "0002_default_templates"),
    ]

    operations = [templates_load_operation(TEMPLATES)]
