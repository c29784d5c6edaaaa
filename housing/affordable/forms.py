"""The applicant's form of affordable rental housing (保障性租赁住房). It checks only the shape of the input; the
rules (an open unit type, a valid residence permit, one application at a time) are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from ..models import UnitType
from .casetype import MAX_HOUSEHOLD_SIZE
from .selectors import unit_types_open


class UnitTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: UnitType) -> str:
        return f"{obj.project.name} · {obj.name}"


class AffordableApplyForm(forms.Form):
    """申请保障性租赁住房: which unit type, how many people, where the family lives now."""

    unit_type = UnitTypeChoiceField(
        label=gettext_lazy("申请户型"), queryset=UnitType.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    household_size = forms.IntegerField(
        label=gettext_lazy("家庭人数"), min_value=1, max_value=MAX_HOUSEHOLD_SIZE,
        help_text=gettext_lazy("包括您本人，以及一起居住的配偶、子女、父母。"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    current_address = forms.CharField(
        label=gettext_lazy("现居住地址"), max_length=200, required=False,
        help_text=gettext_lazy("不填则用居民档案中的现居地址。"),
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["unit_type"].queryset = unit_types_open()
