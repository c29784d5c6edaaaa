"""The default wording of every message. Administrators edit it in the admin; this only fills what is missing."""

from django.db import migrations

from notifications.defaults import templates_load_operation

TEMPLATES = [
    # key, description, title_zh, body_zh, title_en, body_en, sms, email
    (
        "case.submitted", "申请受理回执",
        "申请已受理",
        "您的{{ case_type }}申请已受理，受理编号 {{ reference }}。我们将在 {{ due_date }} 前办结，"
        "可随时在“我的申请”中查看进度。",
        "Application received",
        "Your {{ case_type }} application has been received. Reference number: {{ reference }}. "
        "We will decide by {{ due_date }}; you can follow it under My applications.",
        True, True,
    ),
    (
        "case.needs_documents", "一次性补正材料通知",
        "请补正申请材料",
        "您的{{ case_type }}申请（{{ reference }}）还需要补充以下材料：{{ missing }}。"
        "{% if note %}说明：{{ note }}。{% endif %}请登录越安家上传后重新提交。",
        "Documents needed",
        "Your {{ case_type }} application ({{ reference }}) still needs: {{ missing }}."
        "{% if note %} Note: {{ note }}.{% endif %} Please upload them in Yuean and resubmit.",
        True, True,
    ),
    (
        "case.resubmitted", "补正材料已收到",
        "补正材料已收到",
        "您的{{ case_type }}申请（{{ reference }}）补正材料已收到，我们会尽快办理。",
        "Documents received",
        "We have received the documents for your {{ case_type }} application ({{ reference }}).",
        False, True,
    ),
    (
        "case.approved", "申请批准通知",
        "申请已批准",
        "您的{{ case_type }}申请（{{ reference }}）已批准。{% if reason %}{{ reason }}{% endif %}",
        "Application approved",
        "Your {{ case_type }} application ({{ reference }}) has been approved.{% if reason %} {{ reason }}{% endif %}",
        True, True,
    ),
    (
        "case.refused", "不予批准通知（附理由）",
        "申请未获批准",
        "很抱歉，您的{{ case_type }}申请（{{ reference }}）未获批准。理由：{{ reason }}。"
        "如有疑问，可到所在街道新居民服务窗口咨询。",
        "Application refused",
        "We are sorry: your {{ case_type }} application ({{ reference }}) was not approved. Reason: {{ reason }}. "
        "You may ask at your street's new-resident service window.",
        True, True,
    ),
    (
        "case.withdrawn", "申请已撤回",
        "申请已撤回",
        "您的{{ case_type }}申请（{{ reference }}）已撤回。",
        "Application withdrawn",
        "Your {{ case_type }} application ({{ reference }}) has been withdrawn.",
        False, True,
    ),
    (
        "case.issued", "证件已制作",
        "证件已制作",
        "您的{{ case_type }}（{{ reference }}）已制作完成。",
        "Ready",
        "Your {{ case_type }} ({{ reference }}) is ready.",
        True, True,
    ),
    (
        "case.delivered", "证件已送达",
        "证件已送达",
        "您的{{ case_type }}（{{ reference }}）已送达。",
        "Delivered",
        "Your {{ case_type }} ({{ reference }}) has been delivered.",
        False, True,
    ),
    (
        "case.digest", "专管员每日待办提醒",
        "今日待办提醒",
        "您负责的街道有 {{ overdue }} 件申请已超过办理时限，{{ due_soon }} 件将在两天内到期。请在工作台“我的待办”中处理。",
        "Today's cases",
        "In the streets you cover, {{ overdue }} application(s) are overdue and {{ due_soon }} fall due within two "
        "days. Please see My cases in the console.",
        False, True,
    ),
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]
    operations = [templates_load_operation(TEMPLATES)]
