"""The landlord's and the tenant's forms. They check only the shape of the input (a number is a number, a date
a date); every rule (capacity, deadlines, address, ownership proof) is the services', so the pages and the API
answer alike, on the same fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from residents.forms import CommunityChoiceField, DateInput
from residents.selectors import community_choices

NUMERIC = {"inputmode": "numeric"}
DOCUMENT_TYPES = "application/pdf,image/jpeg,image/png"


class PropertyRegisterForm(forms.Form):
    """登记出租房屋: what the street's caseworker checks before tenants can be reported into it."""

    address = forms.CharField(
        label=_("房屋地址"), max_length=200, help_text=_("写到门牌号和室号，例如：环城西路 18 号 2 幢 302 室")
    )
    community = CommunityChoiceField(label=_("所在社区（村）"), queryset=community_choices(), empty_label=_("请选择"))
    rooms = forms.IntegerField(label=_("房间数"), min_value=1, widget=forms.NumberInput(attrs=NUMERIC))
    floor_area = forms.DecimalField(
        label=_("建筑面积（平方米）"),
        min_value=0,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        help_text=_("以房产证上的面积为准，例如 58.5"),
    )
    max_occupants = forms.IntegerField(
        label=_("最多可住几人"),
        min_value=1,
        widget=forms.NumberInput(attrs=NUMERIC),
        help_text=_("申报入住的人数不能超过这个数。人均面积过小可能被认定为群租。"),
    )
    owner_name = forms.CharField(label=_("产权人"), max_length=64, help_text=_("房产证上的姓名或单位名称"))
    ownership_proof = forms.FileField(
        label=_("产权证明"),
        help_text=_("房产证、购房合同或村（社区）出具的证明。PDF、JPG 或 PNG，不超过 10 MB，可以直接用手机拍照。"),
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_TYPES}),
    )


class MoveInReportForm(forms.Form):
    """人来申报: the landlord reports a tenant by ID number. The phone is needed only for someone the portal does
    not know yet (the service says so on that field), to invite them by SMS."""

    id_number = forms.CharField(
        label=_("租客身份证号码"),
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    name = forms.CharField(label=_("租客姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(
        label=_("租客手机号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("租客还没有在本平台登记的，必须填写；我们会发短信请租客完善信息。"),
    )
    move_in_date = forms.DateField(label=_("入住日期"), widget=DateInput)
    lease_end_date = forms.DateField(
        label=_("租约到期日"), required=False, widget=DateInput, help_text=_("到期后会提醒您和租客确认是否续租。")
    )


class MoveOutReportForm(forms.Form):
    """人走注销: the day the tenant left."""

    moved_out_on = forms.DateField(label=_("搬离日期"), widget=DateInput)


class DeclarationForm(forms.Form):
    """The tenant's self-declaration from the property's QR code: the property is already known."""

    move_in_date = forms.DateField(label=_("入住日期"), widget=DateInput, help_text=_("您搬进这处房屋的日期。"))
    lease_end_date = forms.DateField(
        label=_("租约到期日"), required=False, widget=DateInput, help_text=_("租房合同上的到期日，没有可以不填。")
    )
