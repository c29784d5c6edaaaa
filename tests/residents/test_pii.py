"""The ID number (GB 11643-1999): validation, derived facts, masking, keyed hash, encryption and rotation."""

from __future__ import annotations

import datetime
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from kernel.errors import DomainError
from residents.models import Resident
from residents.pii import (
    PROVINCES,
    IdNumberMaskingFilter,
    id_number_check_character,
    id_number_decrypt,
    id_number_encrypt,
    id_number_hash,
    id_number_mask,
    id_number_validate,
    id_numbers_masked_in,
)

from ..factories import ResidentFactory, compose_id_number

# The example printed in GB 11643-1999 itself: Beijing, born 1949-12-31, check character X.
STANDARD_EXAMPLE = "11010519491231002X"
# 浙江 (33), born 1990-01-08, sequence 123 (odd: a man), check character X.
ZHEJIANG_MAN = "33060219900108123X"


def refusal(raw: str, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        id_number_validate(raw, **kwargs)
    return caught.value


def with_last_character(number: str, character: str) -> str:
    return number[:17] + character


# --- valid numbers ------------------------------------------------------------------------------------


def test_the_standard_example_with_an_x_check_character_is_valid():
    facts = id_number_validate(STANDARD_EXAMPLE)

    assert facts.normalized == STANDARD_EXAMPLE


def test_a_number_with_a_digit_check_character_is_valid():
    candidates = (compose_id_number("412827", datetime.date(1985, 6, 15), seq) for seq in range(100, 120))
    number = next(n for n in candidates if n[-1].isdigit())

    assert id_number_validate(number).normalized == number


def test_a_lowercase_x_is_accepted_and_normalised_to_capital_x():
    facts = id_number_validate(STANDARD_EXAMPLE.lower())

    assert facts.normalized == STANDARD_EXAMPLE


def test_surrounding_spaces_are_ignored():
    assert id_number_validate(f"  {ZHEJIANG_MAN} ").normalized == ZHEJIANG_MAN


# --- what the number says about its holder ------------------------------------------------------------


def test_birth_date_gender_and_province_are_derived_from_the_number():
    facts = id_number_validate(ZHEJIANG_MAN)

    assert facts.birth_date == datetime.date(1990, 1, 8)
    assert facts.gender == "male"  # digit 17 is 3, odd
    assert facts.province_code == "33"
    assert PROVINCES[facts.province_code] == "浙江省"


def test_an_even_seventeenth_digit_means_a_woman():
    number = compose_id_number("510104", datetime.date(2001, 11, 30), 248)

    facts = id_number_validate(number)

    assert facts.gender == "female"
    assert facts.birth_date == datetime.date(2001, 11, 30)
    assert facts.province_code == "51"


# --- refusals -----------------------------------------------------------------------------------------


def test_a_wrong_check_character_is_refused_as_a_checksum_error():
    right = ZHEJIANG_MAN[-1]
    wrong = "0" if right != "0" else "1"

    error = refusal(with_last_character(ZHEJIANG_MAN, wrong))

    assert error.code == "id_number_checksum"
    assert error.field == "id_number"


def with_check_character(first17: str) -> str:
    return first17 + id_number_check_character(first17)


def test_february_the_thirtieth_is_refused_as_an_impossible_birth_date():
    # Every other part of the number is right, the check character included.
    assert refusal(with_check_character("41282719900230123")).code == "id_number_birth_date"


def test_a_thirteenth_month_is_refused():
    assert refusal(with_check_character("41282719901301123")).code == "id_number_birth_date"


def test_a_birth_date_in_the_future_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    assert refusal(compose_id_number("412827", tomorrow, 123)).code == "id_number_birth_date"


def test_the_future_is_judged_against_the_given_day():
    number = compose_id_number("412827", datetime.date(2020, 5, 2), 123)

    assert refusal(number, today=datetime.date(2020, 5, 1)).code == "id_number_birth_date"
    assert id_number_validate(number, today=datetime.date(2020, 5, 2)).birth_date == datetime.date(2020, 5, 2)


def test_a_birth_year_before_1900_is_refused():
    assert refusal(compose_id_number("412827", datetime.date(1899, 12, 31), 123)).code == "id_number_birth_date"


@pytest.mark.parametrize("length", [17, 19])
def test_a_number_of_the_wrong_length_is_refused(length):
    number = (ZHEJIANG_MAN + "1")[:length]

    error = refusal(number)

    assert error.code == "id_number_length"
    assert error.field == "id_number"


def test_an_empty_number_is_refused():
    assert refusal("").code == "id_number_length"


@pytest.mark.parametrize(
    "number",
    [
        "3306021990A108123X",  # a letter in the middle
        "33060219900108X231",  # X, but not last
        "33060219900108123-",  # punctuation
        "３３０６０２１９９００１０８１２３Ｘ",  # full-width digits
    ],
)
def test_characters_other_than_digits_and_a_final_x_are_refused(number):
    assert len(number) == 18

    assert refusal(number).code == "id_number_characters"


def test_an_unknown_province_prefix_is_refused():
    # 99 is no province; the rest of the number is well-formed and the check character right.
    number = compose_id_number("990602", datetime.date(1990, 1, 8), 123)

    assert refusal(number).code == "id_number_region"


@pytest.mark.parametrize(
    "number",
    [
        "3306021990010812",  # too short
        "3306021990A108123X",  # bad character
        compose_id_number("990602", datetime.date(1990, 1, 8), 123),  # no such province
        compose_id_number("412827", timezone.localdate() + datetime.timedelta(days=400), 123),  # future
        with_last_character(ZHEJIANG_MAN, "0"),  # checksum
    ],
)
def test_no_error_message_repeats_the_number(number):
    error = refusal(number)

    for text in (str(error), str(error.message), repr(error.as_dict())):
        assert number not in text
        assert number[:17] not in text


# --- masking, hashing, encryption ---------------------------------------------------------------------


def test_the_mask_shows_the_first_four_and_last_four_characters_around_ten_stars():
    assert id_number_mask(ZHEJIANG_MAN) == "3306**********123X"


def test_the_keyed_hash_is_stable_and_hides_the_number():
    first = id_number_hash(ZHEJIANG_MAN)

    assert first == id_number_hash(ZHEJIANG_MAN)
    assert len(first) == 64
    assert ZHEJIANG_MAN not in first
    assert first != id_number_hash(STANDARD_EXAMPLE)


def test_the_hash_depends_on_the_key(settings):
    under_first_key = id_number_hash(ZHEJIANG_MAN)

    settings.PII_HASH_KEY = "another-hash-key-for-tests"

    assert id_number_hash(ZHEJIANG_MAN) != under_first_key


def test_encryption_round_trips_and_the_ciphertext_hides_the_number():
    ciphertext = id_number_encrypt(ZHEJIANG_MAN)

    assert ZHEJIANG_MAN not in ciphertext
    assert ciphertext != id_number_encrypt(ZHEJIANG_MAN)  # a fresh IV every time
    assert id_number_decrypt(ciphertext) == ZHEJIANG_MAN


def test_a_ciphertext_under_a_removed_key_cannot_be_read(settings):
    settings.PII_KEYS = [Fernet.generate_key().decode()]
    ciphertext = id_number_encrypt(ZHEJIANG_MAN)

    settings.PII_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(DomainError) as caught:
        id_number_decrypt(ciphertext)
    assert caught.value.code == "pii_key_missing"
    assert ZHEJIANG_MAN not in str(caught.value)


@pytest.mark.django_db
def test_key_rotation_re_encrypts_every_row_under_the_new_key(settings):
    # Given two residents whose numbers were encrypted under key A
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PII_KEYS = [key_a]
    numbers = [
        compose_id_number("412827", datetime.date(1980, 3, 3), 15),
        compose_id_number("412827", datetime.date(1981, 4, 4), 16),
    ]
    residents = [ResidentFactory(plain_id_number=number) for number in numbers]
    bystander = ResidentFactory(id_number_ciphertext="", id_number_hash=None, id_number_masked="")

    # When key B is put first, A is kept for reading, and the rotation runs (in batches of one)
    settings.PII_KEYS = [key_b, key_a]
    for resident, number in zip(residents, numbers, strict=True):
        assert id_number_decrypt(resident.id_number_ciphertext) == number
    call_command("pii_rotate_keys", batch_size=1, stdout=open("/dev/null", "w"))  # noqa: SIM115

    # Then key B alone reads every row, and key A alone reads none
    settings.PII_KEYS = [key_b]
    for resident, number in zip(residents, numbers, strict=True):
        resident.refresh_from_db()
        assert id_number_decrypt(resident.id_number_ciphertext) == number
    settings.PII_KEYS = [key_a]
    for resident in residents:
        with pytest.raises(DomainError):
            id_number_decrypt(resident.id_number_ciphertext)
    bystander.refresh_from_db()
    assert bystander.id_number_ciphertext == ""
    assert Resident.objects.count() == 3


# --- logs ---------------------------------------------------------------------------------------------


def test_the_logging_filter_masks_an_id_number_in_a_log_record(caplog):
    logger = logging.getLogger("tests.residents.pii")
    masking = IdNumberMaskingFilter()
    logger.addFilter(masking)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("looked up %s for 王芳", ZHEJIANG_MAN)
            logger.info("身份证号%s已登记", STANDARD_EXAMPLE.lower())
    finally:
        logger.removeFilter(masking)

    assert ZHEJIANG_MAN not in caplog.text
    assert STANDARD_EXAMPLE.lower() not in caplog.text
    assert "looked up 3306**********123X for 王芳" in caplog.text
    assert "1101**********002x" in caplog.text


def test_the_filter_leaves_other_numbers_alone():
    text = "order 12345678901234567890 and phone 13800138000"

    assert id_numbers_masked_in(text) == text


def test_the_console_log_handler_is_configured_with_the_masking_filter(settings):
    console = settings.LOGGING["handlers"]["console"]
    filter_name = console["filters"][0]

    assert settings.LOGGING["filters"][filter_name]["()"] == "residents.pii.IdNumberMaskingFilter"


# --- property: the checksum catches any one-digit slip ------------------------------------------------

_birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2024, 12, 31))
_regions = st.tuples(st.sampled_from(sorted(PROVINCES)), st.integers(min_value=0, max_value=9999))


@hypothesis_settings(max_examples=60, deadline=None, database=None)
@given(
    region=_regions,
    birth=_birth_dates,
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    shift=st.integers(min_value=1, max_value=9),
)
def test_a_composed_number_validates_and_any_one_digit_slip_is_refused(region, birth, sequence, position, shift):
    number = compose_id_number(f"{region[0]}{region[1]:04d}", birth, sequence)

    facts = id_number_validate(number)
    assert facts.birth_date == birth
    assert facts.gender == ("male" if sequence % 2 else "female")

    slipped_digit = str((int(number[position]) + shift) % 10)
    slipped = number[:position] + slipped_digit + number[position + 1 :]
    with pytest.raises(DomainError) as caught:
        id_number_validate(slipped)
    if position in range(2, 6) or position in range(14, 17):
        # Only the check character can tell a slip in the county digits or the sequence.
        assert caught.value.code == "id_number_checksum"
    else:
        assert caught.value.code in {"id_number_region", "id_number_birth_date", "id_number_checksum"}
