"""The default wording of the housing messages. Administrators edit them in the admin; this only fills what is
missing."""

from django.db import migrations

from notifications.defaults import templates_load_operation

TEMPLATES = [
    # key, description, title_zh, body_zh, title_en, body_en, sms, email
    (
        "housing.tenant_invited", "邀请新租客完善居民档案（短信）",
        "越安家邀请",
        "{{ name }}您好，房东已为您申报入住 {{ address }}，并办理了居住登记。请用本手机号注册越安家，"
        "完善居民档案，即可在线办理居住证等服务。",
        "Invitation from Yuean",
        "Hello {{ name }}, your landlord has reported you living at {{ address }} and registered your residence. "
        "Sign up to Yuean with this phone number to complete your record and use its services online.",
        True, False,
    ),
    (
        "housing.property_verified", "出租房屋核验通过",
        "出租房屋已核验",
        "您登记的出租房屋 {{ address }} 已通过核验，可以打印“一房一码”海报并申报租客。",
        "Rental property verified",
        "Your rental property at {{ address }} has been verified. You can now print its QR poster and report "
        "tenants.",
        True, True,
    ),
    (
        "housing.property_rejected", "出租房屋未通过核验（附原因）",
        "出租房屋未通过核验",
        "您登记的出租房屋 {{ address }} 未通过核验。原因：{{ reason }}。请修改后重新登记，或到社区服务窗口咨询。",
        "Rental property not verified",
        "Your rental property at {{ address }} was not verified. Reason: {{ reason }}. Please register it again "
        "with the corrections, or ask at your community's service window.",
        True, True,
    ),
    (
        "housing.declaration_received", "租客扫码申报，请房东确认",
        "有租客申报入住，请确认",
        "{{ tenant }} 申报于 {{ move_in_date }} 入住 {{ address }}。请在 {{ due_on }} 前在越安家确认，"
        "逾期未申报将被记录。",
        "A tenant has declared moving in",
        "{{ tenant }} has declared moving in to {{ address }} on {{ move_in_date }}. Please confirm in Yuean by "
        "{{ due_on }}; reports after that are recorded as late.",
        True, True,
    ),
    (
        "housing.report_due", "人来申报即将到期提醒（房东）",
        "请尽快确认租客申报",
        "{{ tenant }} 入住 {{ address }} 的申报还没有确认，申报期限是 {{ due_on }}。",
        "Please confirm the tenant's declaration",
        "The declaration of {{ tenant }} moving in to {{ address }} is not confirmed yet; the deadline is "
        "{{ due_on }}.",
        True, True,
    ),
    (
        "housing.lease_ended", "租约到期，请确认是否搬离",
        "租约已到期，请确认",
        "{{ address }} 的租约已于 {{ lease_end_date }} 到期。如租客已搬离，请房东办理人走注销；如已续租，请更新租约到期日。",
        "The lease has ended: please confirm",
        "The lease at {{ address }} ended on {{ lease_end_date }}. If the tenant has moved out, the landlord should "
        "report it; if the lease was renewed, please update its end date.",
        False, True,
    ),
    (
        "housing.overdue_digest", "专管员每日提醒：逾期未申报、疑似群租",
        "出租房屋今日提醒",
        "您负责的街道有 {{ overdue }} 条租客申报已超过 3 个工作日未确认，{{ flags }} 处房屋新出现超员申报（疑似群租）。"
        "请在工作台查看。",
        "Rental housing today",
        "In the streets you cover, {{ overdue }} tenant declaration(s) are unconfirmed after 3 working days and "
        "{{ flags }} propert(ies) had a report over their registered capacity (possible group rental). Please "
        "see the console.",
        False, True,
    ),
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("housing", "0002_official_calendars"), ("notifications", "0002_default_templates")]
    operations = [templates_load_operation(TEMPLATES)]
