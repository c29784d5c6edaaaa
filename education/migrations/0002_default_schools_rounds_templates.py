"""Example schools of Yuecheng District with seats for migrant children, the 2027 enrolment rounds (primary and
junior grade 1, as drafts), and the wording of the enrolment messages.

The district publishes its schools' seats for 随迁子女 and its calendar each spring; nothing public gives them in
a form the portal could load. These are EXAMPLES with realistic figures for an administrator to replace in the
admin (随迁子女入学 › 学校 / 招生轮次). They are added only when none exist yet, so an administrator's own data is
never touched. A school's catchment is the communities of its own street that exist when this runs (none on a
fresh database: communities are demo data); the administrator sets the real ones.
"""

import datetime

from django.db import migrations

from notifications.defaults import templates_load_operation

# name, name_en, level, street, address, seats in the 2027 round
SCHOOLS = [
    ("塔山小学（示例）", "Tashan Primary School (example)", "primary", "塔山街道", "越城区塔山街道解放北路 120 号（示例地址）", 90),
    ("北海小学（示例）", "Beihai Primary School (example)", "primary", "北海街道", "越城区北海街道胜利西路 368 号（示例地址）", 120),
    ("城南小学（示例）", "Chengnan Primary School (example)", "primary", "城南街道", "越城区城南街道越英路 55 号（示例地址）", 135),
    ("迪荡小学（示例）", "Didang Primary School (example)", "primary", "迪荡街道", "越城区迪荡街道平江路 86 号（示例地址）", 90),
    ("皋埠中心小学（示例）", "Gaobu Central Primary School (example)", "primary", "皋埠街道", "越城区皋埠街道银桥路 18 号（示例地址）", 180),
    ("斗门中心小学（示例）", "Doumen Central Primary School (example)", "primary", "斗门街道", "越城区斗门街道新城大道 210 号（示例地址）", 225),
    ("稽山中学（示例）", "Jishan Middle School (example)", "junior", "稽山街道", "越城区稽山街道稽山路 99 号（示例地址）", 120),
    ("城南中学（示例）", "Chengnan Middle School (example)", "junior", "城南街道", "越城区城南街道二环南路 300 号（示例地址）", 150),
    ("斗门中学（示例）", "Doumen Middle School (example)", "junior", "斗门街道", "越城区斗门街道三江路 66 号（示例地址）", 200),
]  # fmt: skip

# Grade 1 of primary school takes children six by 31 August of the year (born 1 September seven years before
# to 31 August six years before); grade 1 of junior school, twelve by the same day.
ROUNDS = [
    {
        "year": 2027, "grade": "primary_1", "level": "primary",
        "name": "2027 年小学一年级随迁子女入学", "name_en": "2027 primary grade 1 enrolment of migrant children",
        "born_on_or_after": datetime.date(2020, 9, 1), "born_on_or_before": datetime.date(2021, 8, 31),
    },
    {
        "year": 2027, "grade": "junior_1", "level": "junior",
        "name": "2027 年初中一年级随迁子女入学", "name_en": "2027 junior grade 1 enrolment of migrant children",
        "born_on_or_after": datetime.date(2014, 9, 1), "born_on_or_before": datetime.date(2015, 8, 31),
    },
]  # fmt: skip

CALENDAR_2027 = {
    "applications_open_on": datetime.date(2027, 5, 10),
    "applications_close_on": datetime.date(2027, 5, 23),
    "documents_check_end_on": datetime.date(2027, 6, 6),
    "objections_end_on": datetime.date(2027, 6, 13),
    "preferences_close_on": datetime.date(2027, 6, 20),
    "allocation_on": datetime.date(2027, 6, 27),
    "confirmation_end_on": datetime.date(2027, 7, 7),
}

TEMPLATES = [
    # key, description, title_zh, body_zh, title_en, body_en, sms, email
    (
        "education.result_offered", "入学结果：已录取（附原因）",
        "入学结果：已录取",
        "{{ child }}的入学申请（{{ reference }}）有结果了：{{ reason }}请在 {{ confirm_by }} 前登录越安家确认入学，"
        "逾期未确认视为放弃。",
        "School place offered",
        "The school application for {{ child }} ({{ reference }}) has a result: {{ reason }} Please confirm in Yuean "
        "by {{ confirm_by }}; an offer not confirmed by then is given up.",
        True, True,
    ),
    (
        "education.result_unplaced", "入学结果：本轮未录取（附原因）",
        "入学结果：本轮未录取",
        "{{ child }}的入学申请（{{ reference }}）本轮没有录取：{{ reason }}",
        "No school place this round",
        "The school application for {{ child }} ({{ reference }}) got no place this round: {{ reason }}",
        True, True,
    ),
    (
        "education.offer_confirmed", "已确认入学",
        "已确认入学",
        "您已确认{{ child }}到{{ school }}入学（{{ reference }}）。学校地址：{{ address }}。报到时间请留意学校通知。",
        "School place confirmed",
        "You have confirmed the place of {{ child }} at {{ school }} ({{ reference }}). The school is at "
        "{{ address }}; it will tell you when to come.",
        True, True,
    ),
    (
        "education.offer_declined", "已放弃学位",
        "已放弃学位",
        "您已放弃{{ child }}在{{ school }}的学位（{{ reference }}）。补录开始时我们会通知您。",
        "School place declined",
        "You have declined the place of {{ child }} at {{ school }} ({{ reference }}). We will tell you when the "
        "further round opens.",
        True, True,
    ),
    (
        "education.offer_lapsed", "逾期未确认，学位已放弃",
        "学位已自动放弃",
        "{{ school }}的学位需要在 {{ confirm_by }} 前确认。您没有确认，学位已自动放弃（{{ reference }}）。"
        "补录开始时我们会通知您。",
        "School place given up",
        "The place at {{ school }} had to be confirmed by {{ confirm_by }}. It was not confirmed, so it has been "
        "given up ({{ reference }}). We will tell you when the further round opens.",
        True, True,
    ),
    (
        "education.further_round_open", "补录开始报名",
        "入学补录开始报名",
        "{{ round }}开始报名，{{ closes }} 截止。{{ child }}可以报名：请登录越安家，选择还有空余学位的学校。"
        "上一轮审核过的材料不用重新上传。",
        "Further round open",
        "{{ round }} takes applications until {{ closes }}. {{ child }} may apply: sign in to Yuean and rank the "
        "schools that still have places. Documents checked in the last round need not be uploaded again.",
        True, True,
    ),
    (
        "education.apply_due", "入学报名即将截止提醒",
        "入学报名即将截止",
        "{{ round }}报名 {{ closes }} 截止{% if days %}（还有 {{ days }} 天）{% else %}（今天截止）{% endif %}。"
        "{{ child }}到了入学年龄，如需在越城区上学，请尽快在越安家报名并上传材料。",
        "School applications close soon",
        "Applications for {{ round }} close on {{ closes }}{% if days %} (in {{ days }} days){% else %} (today)"
        "{% endif %}. {{ child }} is of school age: to go to school in Yuecheng, apply in Yuean and upload the "
        "documents soon.",
        True, True,
    ),
    (
        "education.confirm_due", "确认入学即将截止提醒",
        "请确认入学",
        "{{ child }}已被{{ school }}录取（{{ reference }}），请在 {{ confirm_by }} 前确认入学或放弃，"
        "逾期未确认视为放弃。",
        "Please confirm the school place",
        "{{ child }} has been offered a place at {{ school }} ({{ reference }}). Please confirm or decline by "
        "{{ confirm_by }}; an offer not confirmed by then is given up.",
        True, True,
    ),
]  # fmt: skip


def load_defaults(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    School = apps.get_model("education", "School")
    EnrolmentRound = apps.get_model("education", "EnrolmentRound")
    RoundSchool = apps.get_model("education", "RoundSchool")
    Region = apps.get_model("residents", "Region")
    created_schools = []
    if not School.objects.exists():
        for order, (name, name_en, level, street_name, address, seats) in enumerate(SCHOOLS, start=1):
            street = Region.objects.filter(kind="street", name=street_name).first()
            if street is None:  # a database whose regions were replaced: nothing to attach the example to
                continue
            school = School.objects.create(
                name=name, name_en=name_en, level=level, street=street, address=address, sort_order=order
            )
            school.catchment_communities.set(Region.objects.filter(kind="community", parent=street))
            created_schools.append((school, seats))
    for spec in ROUNDS:
        if EnrolmentRound.objects.filter(year=spec["year"], grade=spec["grade"]).exists():
            continue
        fields = {key: value for key, value in spec.items() if key != "level"}
        enrolment_round = EnrolmentRound.objects.create(**fields, **CALENDAR_2027)
        RoundSchool.objects.bulk_create(
            [
                RoundSchool(round=enrolment_round, school=school, seats=seats)
                for school, seats in created_schools
                if school.level == spec["level"]
            ]
        )


def unload_defaults(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    School = apps.get_model("education", "School")
    EnrolmentRound = apps.get_model("education", "EnrolmentRound")
    # Only the examples nobody has applied in: a round with applications keeps its schools.
    names = [spec["name"] for spec in ROUNDS]
    EnrolmentRound.objects.filter(name__in=names, status="draft", applications__isnull=True).delete()
    School.objects.filter(name__in=[row[0] for row in SCHOOLS], round_seats__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0001_initial"),
        ("residents", "0002_regions"),
        ("notifications", "0002_default_templates"),
    ]
    operations = [migrations.RunPython(load_defaults, unload_defaults), templates_load_operation(TEMPLATES)]
