"""The reason each family reads with its result, written from the allocation's explanation when the round runs.

"录取到您的第二志愿 城南小学；您的第一志愿 塔山小学 最后录取的积分为 87.5（您家为 80）". Written in Chinese and in
English at run time and stored with the result (education.models.EnrolmentResult), so it never changes
afterwards, whatever later edits to a school's name or a translation.

A round writes tens of thousands of reasons: ReasonWriter looks each wording up in the catalogue once per
language, and each reason is then plain string formatting.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_noop

from .allocation import Explanation, Priority
from .choices import CatchmentTier

CHINESE_NUMERALS = "零一二三四五六七八九十"
LANGUAGES = {"zh": "zh-hans", "en": "en"}

# The wordings, marked for translation here and looked up (in each language) by ReasonWriter.
WORDINGS = {
    "choice": gettext_noop("您的第%(n)s志愿 %(school)s"),
    "placed": gettext_noop("录取到%(choice)s"),
    "no_seats": gettext_noop("%(choice)s 本轮没有面向随迁子女的学位"),
    "nearer_tier": gettext_noop(
        "%(choice)s 只录取到%(cutoff_tier)s的孩子（您家属于%(own_tier)s），最后录取的积分为 %(cutoff)s"
    ),
    "more_points": gettext_noop("%(choice)s 最后录取的积分为 %(cutoff)s（您家为 %(own)s）"),
    "lottery": gettext_noop("%(choice)s 最后录取的积分为 %(cutoff)s，与您家相同，按公开抽签顺序未能录取"),
    "separator": gettext_noop("；"),
    "end": gettext_noop("。"),
    "none_listed": gettext_noop("您没有填报志愿，本轮未能安排学位。请留意补录通知。"),
    "all_full": gettext_noop("很遗憾，本轮您填报的学校都已录满："),
    "all_full_end": gettext_noop("。请留意补录通知，补录时可以填报还有空余学位的学校。"),
}


def points_text(points: Decimal) -> str:
    """Points without exponent or trailing zeros: 120, 87.5."""
    return "0" if points == 0 else f"{points.normalize():f}"


def _numeral(n: int, lang: str) -> str:
    """二 in Chinese (第二志愿), 2 in English (the English wording puts the number after "choice")."""
    if lang == "en":
        return str(n)
    if n <= 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return f"{CHINESE_NUMERALS[tens] if tens > 1 else ''}十{CHINESE_NUMERALS[ones] if ones else ''}"


class ReasonWriter:
    """Writes reasons in one language, its wordings looked up once."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        with translation.override(LANGUAGES[lang]):
            self.words = {key: translation.gettext(msgid) for key, msgid in WORDINGS.items()}
            self.tiers = {tier.value: str(tier.label) for tier in CatchmentTier}

    def _tier(self, tier: int) -> str:
        return self.tiers.get(tier, str(tier))

    def _choice(self, n: int, school: str) -> str:
        return self.words["choice"] % {"n": _numeral(n, self.lang), "school": school}

    def _why_not(self, n: int, school: str, own: Priority, cutoff: Priority | None) -> str:
        """One school listed higher that the child did not get, and what decided it."""
        choice = self._choice(n, school)
        if cutoff is None:
            return self.words["no_seats"] % {"choice": choice}
        facts = {"choice": choice, "cutoff": points_text(cutoff.points), "own": points_text(own.points)}
        if cutoff.tier < own.tier:
            return self.words["nearer_tier"] % {
                **facts, "cutoff_tier": self._tier(cutoff.tier), "own_tier": self._tier(own.tier),
            }  # fmt: skip
        if cutoff.points != own.points:
            return self.words["more_points"] % facts
        return self.words["lottery"] % facts

    def reason(self, explanation: Explanation, names: Mapping[str, tuple[str, str]]) -> str:
        def name(ref: str) -> str:
            zh, en = names[ref]
            return en if self.lang == "en" and en else zh

        listed = list(explanation.own_priorities)
        higher = [
            self._why_not(listed.index(ref) + 1, name(ref), explanation.own_priorities[ref], cutoff)
            for ref, cutoff in explanation.higher_choices
        ]
        separator = self.words["separator"]
        if explanation.assigned is not None:
            placed = self.words["placed"] % {
                "choice": self._choice(explanation.choice or 0, name(explanation.assigned))
            }
            return separator.join([placed, *higher]) + self.words["end"]
        if not listed:
            return self.words["none_listed"]
        return self.words["all_full"] + separator.join(higher) + self.words["all_full_end"]


class ReasonTexts:
    """The reason in Chinese and English for each explanation of a run: {"zh": ..., "en": ...}."""

    def __init__(self, school_names: Mapping[str, tuple[str, str]]) -> None:
        """``school_names`` maps each school's ref to its (Chinese, English) name."""
        self.names = school_names
        self.writers = {lang: ReasonWriter(lang) for lang in LANGUAGES}

    def __call__(self, explanation: Explanation) -> dict[str, str]:
        return {lang: writer.reason(explanation, self.names) for lang, writer in self.writers.items()}


def reason_texts(explanation: Explanation, school_names: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """One reason in both languages (for a single result; a run uses ReasonTexts)."""
    return ReasonTexts(school_names)(explanation)
