from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .choices import DeliveryMethod, Education, Gender, GuardianRelation, RegistrationBasis, ReplacementReason
from .models import PermitType
from .selectors import community_choices, permit_types_offered


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:  # type: ignore[no-untyped-def]
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class DateInput(forms.DateInput):
    """A native date picker. It only understands ISO dates, whatever the page's language formats dates as."""

    input_type = "date"

    def __init__(self, attrs=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    """The resident's own profile. Gender, birth date and hukou province come from the ID number."""

    name = forms.CharField(label=_("姓名"), max_length=64)
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        help_text=_("18 位，最后一位可以是 X。性别、出生日期和户籍省份将自动识别。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("手机号"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    hukou_address = forms.CharField(label=_("户籍地址"), max_length=200, required=False)
    education = forms.ChoiceField(
        label=_("文化程度"), choices=[("", _("请选择")), *list(Education.choices)], required=False
    )
    community = CommunityChoiceField(
        label=_("现居社区"), queryset=community_choices(), required=False, empty_label=_("请选择")
    )
    address = forms.CharField(
        label=_("现居地址"), max_length=200, required=False, help_text=_("例如：某某路 12 号 3 幢 402 室")
    )
    arrival_date = forms.DateField(label=_("来越日期"), required=False, widget=DateInput)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if editing:
            # The stored number is never sent back to the browser: leave blank to keep it.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("已登记，如需更正请重新输入完整号码；不修改请留空。")


class ChildForm(forms.Form):
    name = forms.CharField(label=_("孩子姓名"), max_length=64)
    relation = forms.ChoiceField(label=_("您与孩子的关系"), choices=GuardianRelation.choices)
    id_number = forms.CharField(
        label=_("孩子的身份证号码"),
        max_length=18,
        required=False,
        help_text=_("还没有身份证号码的，可以留空并填写出生日期和性别。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DateInput)
    gender = forms.ChoiceField(label=_("性别"), choices=[("", _("请选择")), *list(Gender.choices)], required=False)


class DocumentUploadForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(
        label=_("选择文件"),
        help_text=_("PDF、JPG 或 PNG，不超过 10 MB。可以直接用手机拍照。"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因（可不填）"), max_length=200, required=False)


class ResidenceRegistrationForm(forms.Form):
    community = CommunityChoiceField(label=_("居住社区"), queryset=community_choices(), empty_label=_("请选择"))
    address = forms.CharField(label=_("详细地址"), max_length=200, help_text=_("例如：某某路 12 号 3 幢 402 室"))
    basis = forms.ChoiceField(label=_("居住事由"), choices=[("", _("请选择")), *RegistrationBasis.choices])
    started_on = forms.DateField(label=_("入住日期"), widget=DateInput, help_text=_("搬进这个地址的日期。"))


class ResidenceEndForm(forms.Form):
    ended_on = forms.DateField(label=_("离开日期"), widget=DateInput)
    reason = forms.CharField(label=_("原因（可不填）"), max_length=200, required=False)


# --- residence permits --------------------------------------------------------------------------------

DELIVERY_FIELDS = ("delivery_method", "recipient_name", "recipient_phone", "delivery_address")


def permit_type_name(permit_type: PermitType) -> str:
    """A permit type's name in the page's language (administrators write both)."""
    english = (translation.get_language() or "").startswith("en")
    return permit_type.name_en if english and permit_type.name_en else permit_type.name_zh


class PermitTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:  # type: ignore[no-untyped-def]
        return permit_type_name(obj)


class PermitDeliveryForm(forms.Form):
    """How the card reaches the applicant.

    The recipient fields are optional here on purpose: whether express delivery has what it needs is the
    service's rule (residents.services._clean_delivery), so the page, with or without JavaScript, and the
    API give the same answers, shown on the same fields.
    """

    delivery_method = forms.ChoiceField(
        label=_("领取方式"), choices=DeliveryMethod.choices, widget=forms.RadioSelect, initial=DeliveryMethod.EXPRESS
    )
    recipient_name = forms.CharField(label=_("收件人"), max_length=64, required=False)
    recipient_phone = forms.CharField(
        label=_("收件人手机号"),
        max_length=20,
        required=False,
        help_text=_("快递员会打这个电话联系。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    delivery_address = forms.CharField(
        label=_("收件地址"),
        max_length=200,
        required=False,
        help_text=_("例如：越城区某某路 12 号 3 幢 402 室"),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    def delivery(self) -> dict[str, str]:
        """The delivery details as the services take them."""
        return {name: self.cleaned_data[name] for name in DELIVERY_FIELDS}

    def fields_with_errors(self) -> list[forms.BoundField]:
        """The fields to point at above the form (a phone shows the bottom of a long form last)."""
        return [field for field in self.visible_fields() if field.errors]


class PermitApplyForm(PermitDeliveryForm):
    """申领居住证: who applies (oneself or a child: under-16s apply through a guardian), which type, and how
    the card is to arrive."""

    applicant = forms.TypedChoiceField(label=_("为谁申领"), coerce=int, widget=forms.RadioSelect)
    permit_type = PermitTypeChoiceField(
        label=_("居住证类型"), queryset=permit_types_offered(), widget=forms.RadioSelect, empty_label=None
    )

    field_order = ["applicant", "permit_type", *DELIVERY_FIELDS]

    def __init__(self, *args, people: list[tuple[int, str]], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["applicant"].choices = people


class PermitApplicationEditForm(PermitDeliveryForm):
    """Correcting an application before a decision: the type only while it is a draft, the delivery details
    until then and while documents are being supplied."""

    permit_type = PermitTypeChoiceField(
        label=_("居住证类型"), queryset=permit_types_offered(), widget=forms.RadioSelect, empty_label=None
    )

    field_order = ["permit_type", *DELIVERY_FIELDS]

    def __init__(self, *args, type_editable: bool, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if not type_editable:
            del self.fields["permit_type"]


class PermitReplaceForm(PermitDeliveryForm):
    """补领、换领: why a new card is needed and how it is to arrive."""

    reason = forms.ChoiceField(label=_("补领原因"), choices=ReplacementReason.choices, widget=forms.RadioSelect)

    field_order = ["reason", *DELIVERY_FIELDS]
