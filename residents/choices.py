from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionKind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道 / 镇")
    COMMUNITY = "community", _("社区 / 村")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Education(models.TextChoices):
    NONE = "none", _("未上学")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中 / 中专 / 技校")
    ASSOCIATE = "associate", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


class GuardianRelation(models.TextChoices):
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母 / 外祖父母")
    OTHER = "other", _("其他监护人")


class RegistrationBasis(models.TextChoices):
    """Why the person lives at the address (条例 art. 9 lists the proofs for each)."""

    RENTED = "rented", _("租住房屋")
    OWN = "own", _("自有住房")
    EMPLOYER = "employer", _("单位宿舍")
    SCHOOL = "school", _("学校宿舍")
    RELATIVE = "relative", _("投靠亲友")


class PermitBasis(models.TextChoices):
    """The grounds for a residence permit besides half a year of residence (居住证暂行条例 art. 2)."""

    EMPLOYMENT = "employment", _("稳定就业")
    RESIDENCE = "residence", _("稳定住所")
    STUDY = "study", _("连续就读")
    TALENT = "talent", _("人才引进")


class DeliveryMethod(models.TextChoices):
    """How the card reaches the applicant."""

    EXPRESS = "express", _("快递送达")
    WINDOW = "window", _("到服务窗口领取")


class ReplacementReason(models.TextChoices):
    LOST = "lost", _("遗失")
    DAMAGED = "damaged", _("损坏")


class AuditEventType(models.TextChoices):
    RESIDENT_CREATED = "resident.created", _("建立居民档案")
    RESIDENT_UPDATED = "resident.updated", _("修改居民档案")
    RESIDENT_ARCHIVED = "resident.archived", _("归档居民档案")
    CHILD_ADDED = "resident.child_added", _("添加子女")
    ID_NUMBER_REVEALED = "resident.id_number_revealed", _("查看完整身份证号")
    JURISDICTION_CHANGED = "caseworker.jurisdiction_changed", _("调整专管员辖区")
    RESIDENCE_REGISTERED = "residence.registered", _("居住登记")
    RESIDENCE_ENDED = "residence.ended", _("注销居住登记")
    CASE_OPENED = "case.opened", _("新建申请")
    CASE_TRANSITION = "case.transition", _("申请状态变更")
    CASE_ASSIGNED = "case.assigned", _("分派申请")
    CASE_DOCUMENT_UPLOADED = "case.document_uploaded", _("上传材料")
    PERMIT_APPLICATION_CHANGED = "permit.application_changed", _("修改居住证申请")
    PERMIT_ISSUED = "permit.issued", _("签发居住证")
    PERMIT_DISPATCHED = "permit.dispatched", _("寄出或通知领取居住证")
    PERMIT_ENDORSED = "permit.endorsed", _("居住证签注")
    PERMIT_CARD_REPLACED = "permit.card_replaced", _("补领、换领居住证")
    # housing (rental properties and tenancies; the shared audit trail lives here)
    PROPERTY_REGISTERED = "housing.property_registered", _("登记出租房屋")
    PROPERTY_VERIFIED = "housing.property_verified", _("核验出租房屋")
    PROPERTY_REJECTED = "housing.property_rejected", _("出租房屋未通过核验")
    MOVE_IN_REPORTED = "housing.move_in", _("人来申报")
    MOVE_IN_CONFIRMED = "housing.move_in_confirmed", _("房东确认租客申报")
    MOVE_IN_DECLINED = "housing.move_in_declined", _("房东否认租客申报")
    MOVE_OUT_REPORTED = "housing.move_out", _("人走注销")
    OVER_CAPACITY = "housing.over_capacity", _("超出核定人数（疑似群租）")
    OCCUPANCY_FLAG_RESOLVED = "housing.occupancy_flag_resolved", _("处理疑似群租提示")
    # points (积分)
    POINTS_RULE_SET_PUBLISHED = "points.rule_set_published", _("发布积分规则")
    POINTS_RULE_SET_SUCCEEDED = "points.rule_set_succeeded", _("复制积分规则为新版本")
    POINTS_APPLICATION_CHANGED = "points.application_changed", _("修改积分申报")
    POINTS_ITEM_VERIFIED = "points.item_verified", _("核定积分项目")
    POINTS_SCORED = "points.scored", _("积分核定完成")
    POINTS_OBJECTION_FILED = "points.objection_filed", _("提出积分异议")
    POINTS_RANKING_PUBLISHED = "points.ranking_published", _("公示积分排名")
    # education (school enrolment of migrant children)
    ENROLMENT_APPLICATION_CHANGED = "education.application_changed", _("修改入学申请")
    ENROLMENT_ALLOCATION_RUN = "education.allocation_run", _("执行学位分配")
    ENROLMENT_RESULT_PUBLISHED = "education.result_published", _("公布学位分配结果")
    ENROLMENT_OFFER_CONFIRMED = "education.offer_confirmed", _("确认入学")
    ENROLMENT_OFFER_DECLINED = "education.offer_declined", _("放弃学位")
    ENROLMENT_OFFER_LAPSED = "education.offer_lapsed", _("学位逾期未确认")
    ENROLMENT_ROUND_CHANGED = "education.round_changed", _("入学招生轮次变更")


class CaseStatus(models.TextChoices):
    """The statuses every case moves through (ARCHITECTURE.md "Cases")."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已受理")
    NEEDS_DOCUMENTS = "needs_documents", _("待补正材料")
    RESUBMITTED = "resubmitted", _("已补正")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")
    ISSUED = "issued", _("已制证")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("已撤回")


# Awaiting a caseworker's decision: what the queue shows and the deadline counts for.
CASE_PENDING_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED)
# Still open from the applicant's side: they may withdraw.
CASE_OPEN_STATUSES = (CaseStatus.DRAFT, *CASE_PENDING_STATUSES, CaseStatus.NEEDS_DOCUMENTS)
