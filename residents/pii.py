"""The resident ID number (居民身份证号码): validation, encryption, keyed hash, masking.

Validation follows GB 11643-1999: 17 digits and a check character computed from them; digits 7–14 are the
birth date, which must be a real date in the past; digit 17 is odd for men and even for women; digits 1–2
are the province of the hukou. The plaintext is never stored: the row keeps the Fernet ciphertext (keys
rotatable, settings.PII_KEYS), an HMAC-SHA256 keyed hash (settings.PII_HASH_KEY) for uniqueness and exact
search, and the masked form for display. Only ``id_number_decrypt`` yields the plaintext, and only
``residents.services.resident_id_number_reveal`` calls it, recording that it did.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

# GB/T 2260 province-level codes (the first two digits).
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省",
    "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip

FIELD = "id_number"


@dataclass(frozen=True)
class IdNumberFacts:
    """What an ID number says about its holder, so the form never asks twice."""

    normalized: str
    birth_date: datetime.date
    gender: str  # "male" | "female", see residents.choices.Gender
    province_code: str


def id_number_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_number_validate(raw: str, *, today: datetime.date | None = None) -> IdNumberFacts:
    """Normalise and validate; raise DomainError (never echoing the number) when it is not a valid one."""
    value = (raw or "").strip().upper()
    if len(value) != 18:
        raise DomainError("id_number_length", _("身份证号码应为 18 位，请核对后重新输入。"), field=FIELD)
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise DomainError("id_number_characters", _("身份证号码前 17 位须为数字，最后一位为数字或 X。"), field=FIELD)
    if value[:2] not in PROVINCES:
        raise DomainError("id_number_region", _("身份证号码的前两位不是有效的省级行政区划代码。"), field=FIELD)
    try:
        birth_date = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise DomainError(
            "id_number_birth_date", _("身份证号码中的出生日期（第 7–14 位）不是真实的日期。"), field=FIELD
        ) from exc
    today = today or timezone.localdate()
    if birth_date > today or birth_date.year < 1900:
        raise DomainError(
            "id_number_birth_date", _("身份证号码中的出生日期（第 7–14 位）不可能是这个日期。"), field=FIELD
        )
    if id_number_check_character(value[:17]) != value[17]:
        raise DomainError("id_number_checksum", _("身份证号码校验位不正确，请逐位核对，可能有一位输错。"), field=FIELD)
    return IdNumberFacts(
        normalized=value,
        birth_date=birth_date,
        gender="male" if int(value[16]) % 2 else "female",
        province_code=value[:2],
    )


def id_number_mask(value: str) -> str:
    """3306**********123X: the region prefix and the last four characters only."""
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def id_number_hash(normalized: str) -> str:
    key = settings.PII_HASH_KEY.encode()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current_fernet() -> MultiFernet:
    return _fernet(tuple(settings.PII_KEYS))


def id_number_encrypt(normalized: str) -> str:
    return _current_fernet().encrypt(normalized.encode()).decode()


def id_number_decrypt(ciphertext: str) -> str:
    try:
        return _current_fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:  # a key was removed before its rows were rotated
        raise DomainError("pii_key_missing", _("无法解密：加密密钥已更换，请联系系统管理员。")) from exc


def id_number_reencrypt(ciphertext: str) -> str:
    """The same plaintext under the current (first) key; used by `manage.py pii_rotate_keys`."""
    return _current_fernet().rotate(ciphertext.encode()).decode()


_ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def name_mask(name: str) -> str:
    """张** : the family name and one star per further character (what a public page may show of a name)."""
    name = (name or "").strip()
    return f"{name[:1]}{'*' * max(len(name) - 1, 1)}" if name else ""


def id_numbers_masked_in(text: str) -> str:
    """Mask anything in free text that looks like an 18-character ID number."""
    return _ID_PATTERN.sub(lambda m: id_number_mask(m.group(0)), text)


class IdNumberMaskingFilter(logging.Filter):
    """A logging filter that masks ID numbers in every record, whatever logged them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = id_numbers_masked_in(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
