"""The forms of the enrolment pages: applying for a child (which child, and the schools ranked) and changing the
schools ranked. They check only the shape of the answers; who may apply, the window, the number of choices and
repeated schools are education.services' to refuse, and the page shows what it says."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from residents.models import Resident

from .choices import CatchmentTier
from .models import School

DECLINE_REASON_MAX = 200


def school_name(school: School) -> str:
    """The school's name in the reader's language."""
    english = (get_language() or "").startswith("en")
    return school.name_en if english and school.name_en else school.name


class SchoolChoiceField(forms.ModelChoiceField):
    """One ranked school: the name, and — for the family applying — how near they live to it (学区内, 同街道)."""

    def __init__(self, *args, tiers: dict[int, int], **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.tiers = tiers
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: School) -> str:
        tier = self.tiers.get(obj.pk)
        if tier is None or tier == CatchmentTier.ELSEWHERE:
            return school_name(obj)
        return f"{school_name(obj)} · {CatchmentTier(tier).label}"


class PreferencesForm(forms.Form):
    """The schools wanted, most wanted first: one select per choice the round allows (第 1 志愿 … 第 N 志愿).
    A choice left empty is skipped, so the list closes up."""

    def __init__(  # type: ignore[no-untyped-def]
        self, *args, schools: list[School], max_preferences: int, tiers: dict[int, int] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        queryset = School.objects.filter(pk__in=[school.pk for school in schools]).order_by("sort_order", "id")
        for rank in range(1, max_preferences + 1):
            self.fields[f"school_{rank}"] = SchoolChoiceField(
                queryset=queryset, required=False, tiers=tiers or {}, empty_label=_("— 不填 —"),
                label=_("第 %(rank)s 志愿") % {"rank": rank},
            )  # fmt: skip

    def preference_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("school_")]

    def ranked_schools(self) -> list[School]:
        """The schools chosen, in the order of the selects, empty ones left out (repeats kept: the service names
        them)."""
        return [school for field in self.preference_fields() if (school := self.cleaned_data.get(field.name))]

    def fields_with_errors(self) -> list[forms.BoundField]:
        """The fields to point at above the form (a phone shows the bottom of a long form last)."""
        return [field for field in self.visible_fields() if field.errors]


class ChildChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Resident) -> str:
        born = obj.birth_date.isoformat() if obj.birth_date else "—"
        return str(_("%(name)s（%(born)s 出生）") % {"name": obj.name, "born": born})


class EnrolmentApplyForm(PreferencesForm):
    """为孩子申请入学: which of one's own children, and the schools ranked (they may also be ranked later, until
    preferences close)."""

    child = ChildChoiceField(
        label=_("为哪个孩子申请"), queryset=Resident.objects.none(), widget=forms.RadioSelect, empty_label=None,
        error_messages={"required": _("请选择孩子。"), "invalid_choice": _("请从您的子女中选择。")},
    )  # fmt: skip

    def __init__(self, *args, children, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children
        # The child first: the order the page asks in.
        self.order_fields(["child"])


class DeclineForm(forms.Form):
    """放弃学位: an optional reason, after the family has read what declining means."""

    reason = forms.CharField(
        label=_("放弃原因（可不填）"), max_length=DECLINE_REASON_MAX, required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如：已在其他地方入学")}),
    )  # fmt: skip
