"""Two example affordable rental housing projects (保障性租赁住房), and the wording of the messages about an offered
flat and moving in.

The district publishes its own projects, rents and conditions each year; nothing public gives them in a form
the portal could load. These are EXAMPLES with realistic figures (rents below the local market, as 国办发〔2021〕22号
asks of 保障性租赁住房) for an administrator to replace in the admin (住房保障 › 保障性租赁住房项目). They are added
only when no project exists yet, so an administrator's own list is never touched.
"""

from decimal import Decimal

from django.db import migrations

from notifications.defaults import templates_load_operation

EXAMPLE_NOTE_ZH = "（示例项目：名称、地址、租金和条件由管理员按区住房保障部门公布的信息替换。）"
EXAMPLE_NOTE_EN = "(An example project: an administrator replaces its name, address, rent and conditions with the ones the district publishes.)"  # noqa: E501

COMMON_ZH = (
    "1. 持有越城区签发、在有效期内的浙江省居住证（每年按时签注）；\n"
    "2. 本人、配偶及未成年子女在越城区范围内无自有住房；\n"
    "3. 家庭上年度人均可支配收入不高于绍兴市上年度城镇居民人均可支配收入；\n"
    "4. 在越城区就业，并连续缴纳社会保险 6 个月以上；\n"
    "5. 同一时间只能申请一个户型，不得同时享受其他住房保障（公租房、住房租赁补贴）。"
)
COMMON_EN = (
    "1. A valid Zhejiang residence permit issued in Yuecheng (endorsed every year on time);\n"
    "2. Neither you, your spouse nor your children under 18 own a home in Yuecheng District;\n"
    "3. Last year's household disposable income per person not above Shaoxing's urban average for that year;\n"
    "4. Working in Yuecheng, with social insurance paid for at least 6 months in a row;\n"
    "5. One unit type at a time, and no other housing support (public rental housing, rent subsidy) meanwhile."
)
TWO_ROOMS_ZH = "\n6. 两室户限家庭人数 2 人及以上（含随迁子女、共同居住的配偶或父母）。"
TWO_ROOMS_EN = "\n6. Two-room flats are for households of 2 or more (children, a spouse or parents living together)."

PROJECTS = [
    {
        "name": "城南安居公寓（示例）",
        "name_en": "Chengnan Anju Apartments (example)",
        "street": "城南街道",
        "address": "越城区城南街道二环南路 88 号（示例地址）",
        "description": "精装修，配空调、热水器、床和衣柜，拎包入住；步行 5 分钟到公交站，附近有菜场和社区卫生服务站。"
        "租期一般 1 年一签，最长 6 年。" + EXAMPLE_NOTE_ZH,
        "description_en": "Furnished (air conditioning, water heater, bed, wardrobe); 5 minutes' walk to the bus, "
        "near a market and a community clinic. Leases of 1 year, renewable up to 6 years. " + EXAMPLE_NOTE_EN,
        "units": [
            ("一室户", "One room", 1, "35.00", "900.00", 120, COMMON_ZH, COMMON_EN),
            ("两室户", "Two rooms", 2, "58.00", "1400.00", 60, COMMON_ZH + TWO_ROOMS_ZH, COMMON_EN + TWO_ROOMS_EN),
        ],
    },
    {
        "name": "斗门产业园职工公寓（示例）",
        "name_en": "Doumen Industrial Park Staff Apartments (example)",
        "street": "斗门街道",
        "address": "越城区斗门街道袍江工业区内（示例地址）",
        "description": "面向园区企业职工，配齐基本家具，园区内有食堂、便利店，通勤班车直达主要厂区。" + EXAMPLE_NOTE_ZH,
        "description_en": "For staff of the park's companies: basic furniture, a canteen and a shop on site, and "
        "shuttle buses to the main factories. " + EXAMPLE_NOTE_EN,
        "units": [
            ("一室户", "One room", 1, "30.00", "750.00", 200, COMMON_ZH, COMMON_EN),
            ("两室户", "Two rooms", 2, "55.00", "1200.00", 80, COMMON_ZH + TWO_ROOMS_ZH, COMMON_EN + TWO_ROOMS_EN),
        ],
    },
]

TEMPLATES = [
    # key, description, title_zh, body_zh, title_en, body_en, sms, email
    (
        "housing.unit_offered", "保障性租赁住房已分配房源",
        "已为您分配保障性租赁住房",
        "您的保障性租赁住房申请（{{ reference }}）已轮到您：{{ project }} {{ unit_type }} {{ unit }}，"
        "地址 {{ address }}。"
        "请在 7 日内携带身份证、居住证到项目管理处签订租赁合同；逾期未签视为放弃。",
        "A flat has been allocated to you",
        "Your affordable housing application ({{ reference }}) has reached the top of the list: {{ project }}, "
        "{{ unit_type }}, flat {{ unit }}, {{ address }}. Please sign the lease at the project office within 7 days, "
        "bringing your ID card and residence permit; otherwise the offer lapses.",
        True, True,
    ),
    (
        "housing.moved_in", "保障性租赁住房已入住",
        "入住已登记",
        "您已入住 {{ project }} {{ unit }}（申请 {{ reference }}）。请记得办理居住登记变更。",
        "Moving in recorded",
        "You have moved in to {{ project }}, flat {{ unit }} (application {{ reference }}). Remember to change the "
        "address of your residence registration.",
        False, True,
    ),
]  # fmt: skip


def load_projects(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    HousingProject = apps.get_model("housing", "HousingProject")
    UnitType = apps.get_model("housing", "UnitType")
    Region = apps.get_model("residents", "Region")
    if HousingProject.objects.exists():
        return
    for order, spec in enumerate(PROJECTS, start=1):
        street = Region.objects.filter(kind="street", name=spec["street"]).first()
        if street is None:  # a database whose regions were replaced: nothing to attach the example to
            continue
        project = HousingProject.objects.create(
            name=spec["name"], name_en=spec["name_en"], street=street, address=spec["address"],
            description=spec["description"], description_en=spec["description_en"], sort_order=order,
        )  # fmt: skip
        for unit_order, (name, name_en, rooms, area, rent, total, zh, en) in enumerate(spec["units"], start=1):
            UnitType.objects.create(
                project=project, name=name, name_en=name_en, rooms=rooms, floor_area=Decimal(area),
                monthly_rent=Decimal(rent), units_total=total, eligibility_zh=zh, eligibility_en=en,
                sort_order=unit_order,
            )  # fmt: skip


def unload_projects(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    HousingProject = apps.get_model("housing", "HousingProject")
    UnitType = apps.get_model("housing", "UnitType")
    names = [spec["name"] for spec in PROJECTS]
    # Only the examples nobody has applied for: an application keeps its project.
    UnitType.objects.filter(project__name__in=names, applications__isnull=True).delete()
    HousingProject.objects.filter(name__in=names, unit_types__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("housing", "0004_affordable_housing"),
        ("residents", "0002_regions"),
        ("notifications", "0002_default_templates"),
    ]
    operations = [migrations.RunPython(load_projects, unload_projects), templates_load_operation(TEMPLATES)]
