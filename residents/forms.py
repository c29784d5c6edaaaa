from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Education, Gender, GuardianRelation, RegistrationBasis
from .selectors import community_choices


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


class ResidenceRegistrationForm(forms.Form):
    community = CommunityChoiceField(label=_("居住社区"), queryset=community_choices(), empty_label=_("请选择"))
    address = forms.CharField(label=_("详细地址"), max_length=200, help_text=_("例如：某某路 12 号 3 幢 402 室"))
    basis = forms.ChoiceField(label=_("居住事由"), choices=[("", _("请选择")), *RegistrationBasis.choices])
    started_on = forms.DateField(label=_("入住日期"), widget=DateInput, help_text=_("搬进这个地址的日期。"))


class ResidenceEndForm(forms.Form):
    ended_on = forms.DateField(label=_("离开日期"), widget=DateInput)
    reason = forms.CharField(label=_("原因（可不填）"), max_length=200, required=False)




