"""The forms of the residence-permit pages: applying, changing an application, replacing a card."""

from __future__ import annotations

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from permits.models import DELIVERY_FIELDS

from .choices import DeliveryMethod, ReplacementReason
from .models import PermitType
from .selectors import permit_types_offered


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


