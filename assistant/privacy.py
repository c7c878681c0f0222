"""Find and mask personal data citizens type into the chat: resident ID-card numbers and mobile numbers.

What counts as personal data here, and why:

- **Resident ID-card numbers** (GB 11643-1999). 18 characters: a 6-digit region code whose first two
  digits are a province code, a birth date YYYYMMDD between 1900-01-01 and today, a 3-digit sequence and
  an ISO 7064 MOD 11-2 check character (0-9 or X). The 15-digit numbers issued before 1999 (region code,
  YYMMDD in the 1900s, sequence) are also matched. Requiring a valid province, a real date and the check
  digit is what keeps amounts, counts and document numbers (文号) from being mistaken for IDs.
- **Mobile numbers only**: 11 digits starting 13–19, optionally prefixed +86 / 0086 / 86, optionally
  grouped 3-4-4 with spaces or hyphens. Landlines (0351-4567890) and service numbers (12333, 12345) are
  *not* masked: the policy documents and the answers publish them so citizens can call the office, and a
  landline says nothing about the person typing it.

A number is only matched when it is not part of a longer run of digits or Latin letters (so a 20-digit
account number or `ABC13812345678` stays as typed) and not the integer part of a decimal.

Full-width forms (１３８…, ＋８６, Ｘ), other Unicode decimal digits, the ideographic space and Unicode
dashes are folded to ASCII *for detection only*; each folds to exactly one character, so match offsets
point into the original text and `redact` masks the span as the citizen typed it.

Logging: attach `RedactingFilter` to every handler (handler filters see records propagated from child
loggers; logger filters do not). The filter rewrites the record in place, so later handlers get the
redacted record too.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

__all__ = [
    "ID_CARD",
    "PHONE",
    "ID_CARD_MASK",
    "PHONE_MASK",
    "PROVINCE_CODES",
    "PiiMatch",
    "find_pii",
    "redact",
    "redact_value",
    "contains_pii",
    "is_valid_id_card",
    "id_check_char",
    "RedactingFilter",
]

ID_CARD: Literal["id_card"] = "id_card"
PHONE: Literal["phone"] = "phone"
ID_CARD_MASK = "[身份证号已隐藏]"
PHONE_MASK = "[手机号已隐藏]"
_MASKS = {ID_CARD: ID_CARD_MASK, PHONE: PHONE_MASK}

# GB/T 2260 province-level codes: the first two digits of every region code.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91}
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of personal data: its kind and its [start, end) span in the original text."""

    kind: Literal["id_card", "phone"]
    start: int
    end: int


class _AsciiFold(dict):
    """str.translate table folding look-alike characters to ASCII, one character to one character.

    Filled lazily (``__missing__``) so importing the module does not walk all of Unicode; characters
    that need no folding map to themselves, which keeps them unchanged.
    """

    def __missing__(self, codepoint: int) -> int:
        ch = chr(codepoint)
        folded = codepoint
        if 0xFF01 <= codepoint <= 0xFF5E:  # full-width ASCII block: ０-９, Ａ-Ｚ, ＋, －
            folded = codepoint - 0xFEE0
        elif codepoint >= 0x80 and unicodedata.category(ch) == "Zs":  # U+3000, NBSP, thin spaces
            folded = ord(" ")
        elif codepoint >= 0x80 and (unicodedata.category(ch) == "Pd" or codepoint == 0x2212):
            folded = ord("-")  # dashes and the minus sign
        elif codepoint >= 0x80 and (digit := unicodedata.decimal(ch, None)) is not None:
            folded = ord("0") + digit
        # Cache the BMP and every folding character; astral non-folding ones (emoji) are recomputed,
        # so hostile input cannot grow the table beyond ~65k entries.
        if codepoint < 0x10000 or folded != codepoint:
            self[codepoint] = folded
        return folded


_FOLD_TABLE = _AsciiFold()

# Boundaries: not glued to another ASCII letter/digit, and not the integer part of a decimal (1.5, 3.0).
_BEFORE = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
_AFTER = r"(?![0-9A-Za-z])(?!\.[0-9])"
_ID_RE = re.compile(_BEFORE + r"(?:[0-9]{17}[0-9Xx]|[0-9]{15})" + _AFTER)
_PHONE_RE = re.compile(
    _BEFORE
    + r"(?:(?:\+|00)?86[ -]?|\((?:\+|00)?86\)[ -]?)?"  # country code, optionally bracketed
    + r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}"
    + _AFTER
)
_ANY_DIGIT = re.compile(r"\d")  # Unicode \d: also full-width and other scripts' digits


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of an 18-character ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _real_birth_date(year: int, month: int, day: int, today: date) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return _EARLIEST_BIRTH <= born <= today


def is_valid_id_card(number: str, today: date | None = None) -> bool:
    """True for an 18-char ID with valid province, real birth date and check digit, or a valid 15-digit ID."""
    today = today or date.today()
    number = number.upper()
    if len(number) == 18:
        if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
            return False
        birth = (int(number[6:10]), int(number[10:12]), int(number[12:14]))
        check_ok = id_check_char(number[:17]) == number[17]
    elif len(number) == 15:
        if not (number.isascii() and number.isdigit()):
            return False
        birth = (1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
        check_ok = True  # the old format has no check digit
    else:
        return False
    return int(number[:2]) in PROVINCE_CODES and _real_birth_date(*birth, today) and check_ok


def find_pii(text: str, *, today: date | None = None) -> list[PiiMatch]:
    """Every ID-card and mobile number in `text`, as spans of the original text, in order."""
    if not text or not _ANY_DIGIT.search(text):
        return []
    folded = text.translate(_FOLD_TABLE)
    today = today or date.today()
    matches = [
        PiiMatch(ID_CARD, m.start(), m.end())
        for m in _ID_RE.finditer(folded)
        if is_valid_id_card(m.group(), today)
    ]
    # An ID and a phone cannot overlap (an ID is a longer digit run, which the phone boundary rejects),
    # but keep the guard so a future pattern cannot produce overlapping masks.
    taken = [(m.start, m.end) for m in matches]
    for m in _PHONE_RE.finditer(folded):
        if not any(s < m.end() and m.start() < e for s, e in taken):
            matches.append(PiiMatch(PHONE, m.start(), m.end()))
    matches.sort(key=lambda m: m.start)
    return matches


def contains_pii(text: str) -> bool:
    """True when `text` holds at least one ID-card or mobile number."""
    return bool(find_pii(text))


def redact(text: str) -> str:
    """`text` with each ID-card number replaced by [身份证号已隐藏] and each mobile by [手机号已隐藏]."""
    matches = find_pii(text)
    if not matches:
        return text
    parts: list[str] = []
    pos = 0
    for m in matches:
        parts.append(text[pos : m.start])
        parts.append(_MASKS[m.kind])
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts)


def redact_value(value: Any) -> Any:
    """Redact every string in a JSON-like value (dict keys too); numbers that read as PII become masks."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        # A phone number sent as a JSON number is still a phone number.
        as_text = str(value)
        return redact(as_text) if contains_pii(as_text) else value
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites a log record so no handler ever formats an ID-card or mobile number.

    The message is rendered with its args, redacted and stored back with empty args, so a
    `%d`-style placeholder cannot fail on a masked value. Extras passed with `extra={...}`,
    the formatted traceback and stack info are redacted too. The traceback is kept only as the
    redacted `record.exc_text` (`exc_info` is cleared): custom formatters should print `exc_text`.
    Never drops a record.
    """

    # Attributes every LogRecord has; everything else in __dict__ came from `extra=`.
    _SKIP = frozenset({"msg", "args", "exc_info", "exc_text", "stack_info", "levelname", "levelno"})

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record; keep its parts, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        # The live exception still carries the raw message; a formatter that formats exc_info itself
        # would print it. Formatter.format prints exc_text when exc_info is gone, so drop exc_info.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in self._SKIP and isinstance(value, str | dict | list | tuple):
                record.__dict__[key] = redact_value(value)
        return True
