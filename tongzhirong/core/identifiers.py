"""Validation of the identifiers the platform relies on, and the one generator of valid ones (demo world, load
generator, benchmarks, test factories). Pure functions: no Django.

- USCC (统一社会信用代码), GB 32100-2015: 18 characters, mod-31 check character; characters 9-17 are the
  organisation code (GB 11714: 8 characters and a mod-11 check character).
- Chinese patent application numbers since 2003: ``YYYYTNNNNNNN.C`` with a mod-11 check character;
  pre-2003 numbers have 8 digits plus check. ``ZL`` prefix marks a granted patent.
- Trademark registration numbers: digits. Software copyright registrations: ``2023SR0123456``.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PATENT_WEIGHTS_2003 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
PATENT_WEIGHTS_OLD = (2, 3, 4, 5, 6, 7, 8, 9)

# Type digit of a post-2003 application number → our IP type.
PATENT_TYPE_DIGITS = {
    "1": "invention_patent",
    "8": "invention_patent",  # PCT invention entering the national phase
    "2": "utility_model",
    "9": "utility_model",  # PCT utility model
    "3": "design_patent",
}

_PATENT_RE = re.compile(r"^(?:ZL)?(\d{12}|\d{8})\.?([0-9X])$", re.ASCII)
_TRADEMARK_RE = re.compile(r"^\d{1,9}$", re.ASCII)
_SOFTWARE_RE = re.compile(r"^(19|20)\d{2}SR\d{6,7}$", re.ASCII)
_COPYRIGHT_RE = re.compile(r"^(国作登字|作登字)[-\w]+$")


def _typed(value: str | None) -> str:
    """What the person meant: full-width forms (１２３, ＺＬ, ．) typed by Chinese input methods become ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip()


class IdentifierError(ValueError):
    """An identifier failed validation; the message says why in plain words."""


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body: str) -> str:
    """Check character of the 8-character organisation code body (GB 11714) inside a USCC."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_uscc(
    n: int | None = None, division: str = "320613", *, prefix: str = "91", org_code: str | None = None
) -> str:
    """A valid USCC: ``prefix`` (91 an enterprise, 11 a government body), the registration ``division`` (six
    digits), the 9-character organisation code and the check character.

    The organisation code is either serial ``n`` written as nine base-31 characters (distinct serials, distinct
    codes: the test factories, the load generator and the benchmarks number their firms), or ``org_code``, eight
    characters, followed by its GB 11714 check character as real codes carry it (the demo world draws ``MA`` and
    six characters for firms registered since late 2015, eight digits for older ones)."""
    if (n is None) == (org_code is None):
        raise ValueError("make_uscc takes either a serial n or an org_code.")
    if org_code is None:
        body = ""
        for _ in range(9):
            body = USCC_ALPHABET[n % 31] + body
            n //= 31
    else:
        body = org_code + org_code_check_char(org_code)
    first17 = f"{prefix}{division}{body}"
    return first17 + uscc_check_char(first17)


def normalise_uscc(value: str) -> str:
    """Return the canonical USCC or raise ``IdentifierError``."""
    code = _typed(value).upper()
    if len(code) != 18:
        raise IdentifierError(_("A USCC has 18 characters, got %(n)s.") % {"n": len(code)})
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise IdentifierError(
            _("A USCC cannot contain %(chars)s (I, O, Z, S, V are never used).") % {"chars": "".join(bad)}
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            _("USCC check character should be %(expected)s, not %(got)s.") % {"expected": expected, "got": code[17]}
        )
    return code


def uscc_division(code: str) -> str:
    """Characters 3-8: the administrative division code of registration."""
    return code[2:8]


def patent_check_char(digits: str) -> str:
    weights = PATENT_WEIGHTS_2003 if len(digits) == 12 else PATENT_WEIGHTS_OLD
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def make_patent_number(n: int, year: int = 2019, type_digit: str = "1") -> str:
    """A valid application number ``YYYYTNNNNNNN.C``: filed in ``year``, type ``type_digit`` (1 invention, 2
    utility model, 3 design, 8 and 9 PCT), serial ``n`` (modulo 10^7), with its check character."""
    digits = f"{year}{type_digit}{n % 10_000_000:07d}"
    return f"{digits}.{patent_check_char(digits)}"


def normalise_patent_number(value: str) -> str:
    """Return ``YYYYTNNNNNNN.C`` (or the 8-digit form) without the ZL prefix, or raise."""
    raw = _typed(value).upper().replace(" ", "")
    match = _PATENT_RE.match(raw)
    if not match:
        raise IdentifierError(
            _("A patent application number looks like 201710601862.3 (12 digits, a dot, a check character).")
        )
    digits, check = match.groups()
    if len(digits) == 12:
        year = int(digits[:4])
        if not 2003 <= year <= 2100:
            raise IdentifierError(_("Application year %(year)s is not valid for a 12-digit number.") % {"year": year})
        if digits[4] not in PATENT_TYPE_DIGITS:
            raise IdentifierError(_("Patent type digit %(digit)s is not one of 1, 2, 3, 8, 9.") % {"digit": digits[4]})
    expected = patent_check_char(digits)
    if check != expected:
        raise IdentifierError(
            _("Patent check character should be %(expected)s, not %(got)s.") % {"expected": expected, "got": check}
        )
    return f"{digits}.{check}"


def patent_type_of(number: str) -> str | None:
    """The IP type that a normalised 12-digit application number encodes, or None for old numbers."""
    digits = number.split(".")[0]
    return PATENT_TYPE_DIGITS.get(digits[4]) if len(digits) == 12 else None


def normalise_trademark_number(value: str) -> str:
    raw = _typed(value)
    if not _TRADEMARK_RE.match(raw) or int(raw) == 0:
        raise IdentifierError(_("A trademark registration number is 1 to 9 digits, e.g. 12345678."))
    return raw.lstrip("0")


def normalise_software_copyright_number(value: str) -> str:
    raw = _typed(value).upper()
    if not _SOFTWARE_RE.match(raw):
        raise IdentifierError(_("A software copyright registration number looks like 2023SR0123456."))
    return raw


def normalise_copyright_number(value: str) -> str:
    """Works registration (国作登字-2023-F-00012345) or a software registration number."""
    raw = (value or "").strip()
    if _SOFTWARE_RE.match(raw.upper()):
        return raw.upper()
    if not _COPYRIGHT_RE.match(raw):
        raise IdentifierError(
            _("A copyright registration number looks like 国作登字-2023-F-00012345 or 2023SR0123456.")
        )
    return raw


def normalise_generic_number(value: str) -> str:
    raw = (value or "").strip().upper()
    if not re.fullmatch(r"[0-9A-Z][0-9A-Z.\-]{3,39}", raw):
        raise IdentifierError(_("A registration number has 4 to 40 letters, digits, dots or hyphens."))
    return raw
