"""Every user-facing string has its English translation, and the catalogue is compiled."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
# Chinese overrides of a library's wording (allauth); the portal's own strings are written in Chinese.
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
_STRINGS = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'


def _joined(quoted: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', quoted))


def _entries(po: Path = PO) -> list[tuple[str, list[str], str]]:
    """(msgid, msgstrs, the raw entry) for every message except the header."""
    entries = []
    for raw in po.read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(rf"^msgid {_STRINGS}", raw, re.M)
        if not msgid or not _joined(msgid.group(1)):
            continue
        msgstrs = [_joined(m) for m in re.findall(rf"^msgstr(?:\[\d\])? {_STRINGS}", raw, re.M)]
        entries.append((_joined(msgid.group(1)), msgstrs, raw))
    return entries


def test_the_catalogue_has_messages() -> None:
    assert len(_entries()) > 100


def test_every_message_has_an_english_translation() -> None:
    untranslated = [msgid for msgid, msgstrs, _raw in _entries() if not all(msgstrs)]
    assert untranslated == []


def test_no_translation_is_left_fuzzy() -> None:
    assert [msgid for msgid, _msgstrs, raw in _entries() if "#, fuzzy" in raw] == []


def test_the_compiled_catalogue_is_in_use() -> None:
    assert PO.with_suffix(".mo").exists()
    with translation.override("en"):
        assert translation.gettext("我的") == "Me"
        assert translation.gettext("我的待办") == "My cases"


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


@pytest.mark.parametrize("po", [PO, ZH_PO], ids=["en", "zh_Hans"])
def test_the_compiled_catalogue_matches_the_po_file(po: Path) -> None:
    # Compiled catalogues are committed (msgfmt is not on every machine): they must not fall behind.
    import gettext

    with po.with_suffix(".mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    stale = [
        msgid
        for msgid, msgstrs, raw in _entries(po)
        if "msgid_plural" not in raw and catalog.gettext(_unescape(msgid)) != _unescape(msgstrs[0])
    ]
    assert stale == []


def test_chinese_pages_use_the_portals_words_for_sign_in() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Phone") == "手机号"
        assert translation.gettext("Code") == "验证码"
