"""Validation and normalisation of identifiers agencies record: NHS number, UPN, postcode, names.

Each `normalise_*` returns the stored form or raises `ValidationError` with a message fit to show
beside a form field.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

_NHS_WEIGHTS = range(10, 1, -1)


def nhs_number_is_valid(value: str) -> bool:
    """True when VALUE is ten digits whose modulus-11 check digit is right."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def normalise_nhs_number(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    if not digits:
        return ""
    if not re.fullmatch(r"\d{10}", digits):
        raise ValidationError("Enter an NHS number of 10 digits, like 943 476 5919")
    if not nhs_number_is_valid(digits):
        raise ValidationError("Enter a valid NHS number: the check digit does not match")
    return digits


# UPN check letter: the weighted sum of characters 2-13 modulo 23 indexes this alphabet
# (DfE "Unique pupil numbers" guidance, Annex A).
_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_WEIGHTS = range(2, 14)


def _upn_char_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    return _UPN_ALPHABET.index(ch)


def upn_is_valid(value: str) -> bool:
    upn = (value or "").strip().upper()
    if not re.fullmatch(r"[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]", upn):
        return False
    total = sum(_upn_char_value(ch) * w for ch, w in zip(upn[1:], _UPN_WEIGHTS, strict=True))
    return upn[0] == _UPN_ALPHABET[total % 23]


def normalise_upn(value: str) -> str:
    upn = re.sub(r"\s", "", value or "").upper()
    if not upn:
        return ""
    if not upn_is_valid(upn):
        raise ValidationError(
            "Enter a valid unique pupil number: a check letter then 12 characters, like "
            "A123456789012"
        )
    return upn


_POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ][0-9][0-9]?[ABEHMNPRVWXY]?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][0-9]?[ABEHMNPRVWXY]?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][0-9][A-HJKPSTUW][0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY][0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str:
    """A full UK postcode in upper case with one space before the inward code."""
    compact = re.sub(r"\s", "", value or "").upper()
    if not compact:
        return ""
    if not _POSTCODE.match(compact):
        raise ValidationError("Enter a full UK postcode, like AA1 1AA")
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_district(postcode: str) -> str:
    """The outward code of a normalised postcode ("ZZ1 2AB" -> "ZZ1")."""
    return postcode.split(" ", 1)[0] if postcode else ""


def normalise_name(value: str) -> str:
    """Lower case, accents removed, punctuation and repeated spaces folded: for matching only."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z ]", " ", text.lower().replace("'", ""))
    return re.sub(r"\s+", " ", text).strip()


def normalise_address(value: str) -> str:
    text = re.sub(r"[^a-z0-9 ]", " ", (value or "").lower())
    return re.sub(r"\s+", " ", text).strip()
