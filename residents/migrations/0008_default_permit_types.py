"""The default permit types: the three grounds of 居住证暂行条例 art. 2 and a talent type exempt from the
half-year rule. Administrators edit them in the console; this only adds what is missing."""

from django.db import migrations

ID_CARD = {"key": "id_card", "label_zh": "居民身份证", "label_en": "Resident ID card", "required": True}
PHOTO = {"key": "photo", "label_zh": "近期免冠证件照（白底）", "label_en": "Recent ID photo (white background)",
         "required": True}  # fmt: skip
ADDRESS = {"key": "address_proof", "label_zh": "住所证明（租赁合同、房产证或单位住宿证明）",
           "label_en": "Proof of address (lease, property certificate or employer accommodation certificate)",
           "required": True}  # fmt: skip

TYPES = [
    {
        "key": "employment", "name_zh": "就业类居住证", "name_en": "Residence permit (employment)",
        "basis": "employment", "sort_order": 1,
        "description_zh": "在越城区有稳定就业的人员。", "description_en": "For people in stable employment in Yuecheng.",
        "documents": [ID_CARD, PHOTO, ADDRESS, {"key": "employment_proof", "label_zh": "劳动合同、营业执照或单位就业证明",
                      "label_en": "Employment contract, business licence or employer's certificate", "required": True}],
    },
    {
        "key": "residence", "name_zh": "居住类居住证", "name_en": "Residence permit (stable home)",
        "basis": "residence", "sort_order": 2,
        "description_zh": "在越城区有合法稳定住所的人员。", "description_en": "For people with a lawful, stable home in Yuecheng.",
        "documents": [ID_CARD, PHOTO, {"key": "address_proof", "label_zh": "房产证或一年以上的备案租赁合同",
                      "label_en": "Property certificate or a registered lease of a year or more", "required": True}],
    },
    {
        "key": "study", "name_zh": "就读类居住证", "name_en": "Residence permit (study)",
        "basis": "study", "sort_order": 3,
        "description_zh": "在越城区学校连续就读的学生。", "description_en": "For students in continuous study at a school in Yuecheng.",
        "documents": [ID_CARD, PHOTO, ADDRESS, {"key": "study_proof", "label_zh": "学校出具的在读证明",
                      "label_en": "Certificate of enrolment from the school", "required": True}],
    },
    {
        "key": "talent", "name_zh": "人才类居住证", "name_en": "Residence permit (talent)",
        "basis": "talent", "sort_order": 4, "exempt_from_residence_rule": True,
        "description_zh": "经认定的引进人才，不受居住满半年的限制。",
        "description_en": "For recognised talents; the half-year residence rule does not apply.",
        "documents": [ID_CARD, PHOTO, ADDRESS, {"key": "talent_proof", "label_zh": "人才认定证明",
                      "label_en": "Talent recognition certificate", "required": True}],
    },
]  # fmt: skip


def load(apps, schema_editor):
    PermitType = apps.get_model("residents", "PermitType")
    for values in TYPES:
        PermitType.objects.get_or_create(key=values["key"], defaults={k: v for k, v in values.items() if k != "key"})


def unload(apps, schema_editor):
    apps.get_model("residents", "PermitType").objects.filter(key__in=[t["key"] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("residents", "0007_permit_types")]
    operations = [migrations.RunPython(load, unload)]
