"""Every user-facing string has its English translation, and the catalogue is compiled."""

from pathlib import Path

from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries() -> list[str]:
    return PO.read_text(encoding="utf-8").split("\n\n")[1:]


def test_every_message_has_an_english_translation() -> None:
    untranslated = [e for e in _entries() if 'msgstr ""\n' in e + "\n" or 'msgstr[0] ""' in e]
    assert untranslated == []


def test_no_translation_is_left_fuzzy() -> None:
    assert [e for e in _entries() if "#, fuzzy" in e] == []


def test_the_compiled_catalogue_is_up_to_date() -> None:
    mo = PO.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= PO.stat().st_mtime - 1
    with translation.override("en"):
        assert translation.gettext("我的") == "Me"
