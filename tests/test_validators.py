import pytest
from django.core.exceptions import ValidationError

from concerns.validators import (
    nhs_number_is_valid,
    normalise_name,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
    upn_is_valid,
)


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_nhs_numbers(value):
    assert nhs_number_is_valid(value)
    assert normalise_nhs_number(value) == value.replace(" ", "").replace("-", "")


@pytest.mark.parametrize("value", ["9434765918", "943476591", "abcdefghij", "1111111112"])
def test_invalid_nhs_numbers(value):
    assert not nhs_number_is_valid(value)
    with pytest.raises(ValidationError):
        normalise_nhs_number(value)


def test_nhs_number_whose_check_digit_would_be_ten_is_invalid():
    # weighted sum 6 * 2 = 12, remainder 1, check digit 10: such numbers are never issued
    digits = "000000006"
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    assert 11 - total % 11 == 10
    assert not nhs_number_is_valid(digits + "0")


def test_blank_identifiers_normalise_to_blank():
    assert normalise_nhs_number("") == ""
    assert normalise_upn(" ") == ""
    assert normalise_postcode("") == ""


def _upn_with_check(body: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRTUVWXYZ"
    values = [int(c) if c.isdigit() else alphabet.index(c) for c in body]
    total = sum(v * w for v, w in zip(values, range(2, 14), strict=True))
    return alphabet[total % 23] + body


def test_upn_check_letter():
    upn = _upn_with_check("801200001001")
    assert upn_is_valid(upn)
    assert normalise_upn(upn.lower()) == upn
    wrong = ("B" if upn[0] != "B" else "C") + upn[1:]
    assert not upn_is_valid(wrong)
    with pytest.raises(ValidationError):
        normalise_upn(wrong)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        (" M1 1AE ", "M1 1AE"),
        ("zx1 2ab", "ZX1 2AB"),
        ("B338TH", "B33 8TH"),
    ],
)
def test_postcodes_normalise(raw, normal):
    assert normalise_postcode(raw) == normal


@pytest.mark.parametrize("raw", ["12345", "SW1A", "QQ1 1AA1", "not a postcode"])
def test_bad_postcodes_refused(raw):
    with pytest.raises(ValidationError):
        normalise_postcode(raw)


def test_names_fold_accents_case_and_punctuation():
    assert normalise_name("  Zoë  O'Brien-Smith ") == "zoe obrien smith"
