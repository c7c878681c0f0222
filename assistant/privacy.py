"""Find and mask personal data: resident ID-card numbers and mobile numbers, in every common written form.

This is the one PII module of policy-qa: the conversation store passes every string it writes through
`redact` / `redact_value`, `RedactingFilter` rewrites every log record before any handler formats it,
the JSON log formatter masks the request id, and the HTTP face asks `identifier_has_pii` before it
uses an id a client chose (X-Request-ID), replacing such an id rather than logging it.

What counts as personal data here, and why:

- **Resident ID-card numbers** (GB 11643-1999). 18 characters: a 6-digit region code whose first two
  digits are a province code, a birth date YYYYMMDD between 1900-01-01 and today, a 3-digit sequence and
  an ISO 7064 MOD 11-2 check character (0-9 or X). The 15-digit numbers issued before 1999 (region code,
  YYMMDD in the 1900s, sequence) are also matched. Requiring a valid province, a real date and the check
  digit is what keeps amounts, counts and document numbers (文号) from being mistaken for IDs.
- **Mobile numbers only**: 11 digits starting 13–19. Landlines (0351-4567890) and service numbers
  (12333, 12345) are *not* masked: the policy documents and the answers publish them so citizens can
  call the office, and a landline says nothing about the person typing it.

Written forms. A number is read as a chain of digit groups joined by short links: one or two spaces,
or one of ``- . / ·`` with a space either side (but a dot followed by a space and not preceded by one ends a list
number or a sentence: ``1. 13812345678`` is a mobile), or a closing bracket (``(138)1234-5678``, ``(+86)…``).
A run of groups is an ID when its digits are a valid ID and every group has at least two characters
(``110105 19491231 002X``, ``1101 0519 4912 3100 2X``); it is a mobile when its 11 digits are grouped
as people group them (11, 3-8, 7-4, 3-4-4, 4-3-4, 4-4-3, 3-3-5), optionally after a country code:
``+86`` / ``0086`` / ``(+86)`` / ``86-`` / ``86`` glued to the number. So ``138-12345-678`` is not a
mobile, and neither is any part of a longer punctuated number (``13812345678.50``, ``0.13812345678``,
``138-1234-5678-9``): a run whose neighbour across a ``- . /`` link is not itself a personal number
belongs to something else. A number glued to Latin letters (``ABC13812345678``) is not matched.

Amounts. An ungrouped 11-digit run followed by a unit of money (元, 块, 万, 亿, …) or preceded by a
currency sign (¥, ￥, RMB, 人民币) is an amount, not a mobile: ``13800000000元`` stays as written —
unless a word for a phone comes right before it (手机, 电话, 号码, 联系, …: ``手机：13812345678元旦前``).

Full-width forms (１３８…, ＋８６, （）, Ｘ), other Unicode decimal digits, the ideographic space and
Unicode dashes are folded to ASCII *for detection only*; each folds to exactly one character, so match
offsets point into the original text and `redact` masks the span as the citizen typed it.

Structured values (`redact_value`): strings are masked; numbers keep their type and value, except a
number whose digits the same value's (or the given context's) text shows to be an ID-card or mobile
number, which is withheld as null. So an amount stays a number, and a phone parsed as a quantity
does not reach the disk.

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
from collections.abc import Iterable, Iterator
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
    "personal_numbers",
    "identifier_has_pii",
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

# A digit group; a check character X belongs to the group it ends when no letter or digit follows.
_GROUP_RE = re.compile(r"[0-9]+(?:[Xx](?![0-9A-Za-z]))?")
# Links that join two groups of one written number (on the folded text).
_SOFT_LINK = re.compile(r"[ \t]{1,2}|[ \t]?\)[ \t]?-?[ \t]?")
# a dot with a space after it and none before ends a list number or a sentence ("1. 13812345678"), it
# does not join two groups of one number
_HARD_LINK = re.compile(r"[ \t]?[-/\u00b7][ \t]?|\.|[ \t]\.[ \t]?")
_MOBILE_SPLITS = frozenset({(11,), (3, 8), (7, 4), (3, 4, 4), (4, 3, 4), (4, 4, 3), (3, 3, 5)})
_MAX_NUMBER_CHARS = 18  # the longest personal number: an 18-character ID (0086 + 11 digits is 15)
_MONEY_AFTER = ("元", "圆", "块", "万", "亿", "角", "美元", "港元", "欧元")
_MONEY_BEFORE = ("¥", "￥", "$", "RMB", "CNY", "人民币")
_PHONE_CUES = ("手机", "手机号", "电话", "号码", "联系方式", "联系", "致电", "回电", "拨打", "tel", "phone", "mobile")
_LETTERS_BUT_X = re.compile(r"[A-WYZa-wyz]")
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


@dataclass(frozen=True, slots=True)
class _Group:
    start: int
    end: int
    text: str


def _chains(folded: str) -> list[tuple[list[_Group], list[str]]]:
    """Runs of digit groups joined by links: (groups, link kinds between them: "soft" / "hard")."""
    chains: list[tuple[list[_Group], list[str]]] = []
    groups: list[_Group] = []
    links: list[str] = []
    for m in _GROUP_RE.finditer(folded):
        g = _Group(m.start(), m.end(), m.group().upper())
        if groups:
            gap = folded[groups[-1].end : g.start]
            kind = "soft" if _SOFT_LINK.fullmatch(gap) else "hard" if _HARD_LINK.fullmatch(gap) else None
            if kind is not None and not groups[-1].text.endswith("X"):
                groups.append(g)
                links.append(kind)
                continue
            chains.append((groups, links))
        groups, links = [g], []
    if groups:
        chains.append((groups, links))
    return chains


def _country_code(groups: list[_Group], folded: str) -> tuple[int, tuple[int, ...]] | None:
    """(digits of the code, group sizes of the rest) when the run opens with +86 / 0086 / (86) / 86-, else None."""
    first = groups[0].text
    before = folded[groups[0].start - 1] if groups[0].start else ""
    if first in ("86", "0086") and len(groups) > 1:
        gap = folded[groups[0].end : groups[1].start]
        if first == "0086" or before in "+(" or "-" in gap or ")" in gap:
            return len(first), tuple(len(g.text) for g in groups[1:])
        return None
    for code in ("0086", "86"):
        if first.startswith(code) and len(first) > len(code):
            return len(code), (len(first) - len(code),) + tuple(len(g.text) for g in groups[1:])
    return None


def _is_amount(folded: str, start: int, end: int) -> bool:
    after = folded[end:].lstrip(" ")
    before = folded[:start].rstrip(" ")
    if before.rstrip(":：是为").rstrip(" ").lower().endswith(_PHONE_CUES):
        return False  # "手机：13812345678元旦前能办吗" is still a phone number
    return after.startswith(_MONEY_AFTER) or before.endswith(_MONEY_BEFORE)


def _kind_of(groups: list[_Group], folded: str, today: date) -> str | None:
    """ID_CARD, PHONE or None for one run of groups."""
    chars = "".join(g.text for g in groups)
    sizes = tuple(len(g.text) for g in groups)
    if len(chars) in (15, 18) and min(sizes) >= 2 and is_valid_id_card(chars, today):
        return ID_CARD
    if "X" in chars:
        return None
    code = _country_code(groups, folded)
    if code is not None:
        digits, rest = chars[code[0] :], code[1]
    else:
        digits, rest = chars, sizes
    if len(digits) != 11 or digits[0] != "1" or digits[1] not in "3456789" or rest not in _MOBILE_SPLITS:
        return None
    if code is None and sizes == (11,) and _is_amount(folded, groups[0].start, groups[-1].end):
        return None
    return PHONE


def _span(groups: list[_Group], folded: str) -> tuple[int, int]:
    """The characters to mask: the groups, with a leading + and an opening bracket the run closes."""
    start = groups[0].start
    if start and folded[start - 1] == "+":
        start -= 1
    inside = folded[groups[0].start : groups[-1].end]
    if start and folded[start - 1] == "(" and ")" in inside:
        start -= 1
    return start, groups[-1].end


def find_pii(text: str, *, today: date | None = None) -> list[PiiMatch]:
    """Every ID-card and mobile number in `text`, as spans of the original text, in order."""
    if not text or not _ANY_DIGIT.search(text):
        return []
    folded = text.translate(_FOLD_TABLE)
    today = today or date.today()
    matches: list[PiiMatch] = []
    for groups, links in _chains(folded):
        found: dict[tuple[int, int], str] = {}
        for i in range(len(groups)):
            before = folded[groups[i].start - 1] if groups[i].start else ""
            if before.isascii() and before.isalpha():
                continue
            chars = 0
            for j in range(i, len(groups)):
                chars += len(groups[j].text)
                if chars > _MAX_NUMBER_CHARS:
                    break
                after = folded[groups[j].end] if groups[j].end < len(folded) else ""
                if after.isascii() and after.isalpha():
                    continue
                kind = _kind_of(groups[i : j + 1], folded, today)
                if kind is not None:
                    found[(i, j)] = kind
        # A run next to a hard link (- . /) counts only when the run across that link is one too:
        # 138-1234-5678/139-8765-4321 is two mobiles, 13812345678.50 is an amount.
        ends = {j for _, j in found}
        starts = {i for i, _ in found}
        accepted = [
            (i, j, kind)
            for (i, j), kind in found.items()
            if (i == 0 or links[i - 1] == "soft" or (i - 1) in ends)
            and (j == len(groups) - 1 or links[j] == "soft" or (j + 1) in starts)
        ]
        # longest first, then leftmost; runs never overlap
        accepted.sort(key=lambda r: (-(groups[r[1]].end - groups[r[0]].start), r[0]))
        taken: list[tuple[int, int]] = []
        for i, j, kind in accepted:
            if any(i <= tj and ti <= j for ti, tj in taken):
                continue
            taken.append((i, j))
            start, end = _span(groups[i : j + 1], folded)
            matches.append(PiiMatch(kind, start, end))  # type: ignore[arg-type]
    matches.sort(key=lambda m: m.start)
    return matches


def personal_numbers(text: str) -> set[str]:
    """The bare numbers (digits, X upper-case; mobiles without country code) of every match in `text`."""
    out: set[str] = set()
    for m in find_pii(text):
        digits = re.sub(r"[^0-9X]", "", text[m.start : m.end].translate(_FOLD_TABLE).upper())
        out.add(digits[-11:] if m.kind == PHONE else digits)
    return out


def identifier_has_pii(value: str) -> bool:
    """True when an id a client chose carries a personal number, even glued to letters (user13812345678)."""
    return bool(find_pii(value)) or bool(find_pii(_LETTERS_BUT_X.sub(" ", value)))


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


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _redact_known(value: Any, known: set[str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return None if str(abs(value)) in known else value
    if isinstance(value, float):
        return None if value.is_integer() and str(abs(int(value))) in known else value
    if isinstance(value, dict):
        return {_redact_known(k, known): _redact_known(v, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_known(v, known) for v in value)
    return value


def redact_value(value: Any, *, context: Iterable[str] = ()) -> Any:
    """Every string of a JSON-like value (dict keys too) masked; numbers keep their type and value,
    unless the value's own strings or `context` show that number to be someone's ID-card or mobile
    number, in which case it is withheld as None."""
    known: set[str] = set()
    for text in (*_strings(value), *context):
        known |= personal_numbers(text)
    return _redact_known(value, known)


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
        # a number among the extras is withheld only when the message or the extras' text names it
        extras = {k: v for k, v in record.__dict__.items()
                  if k not in self._SKIP and isinstance(v, str | dict | list | tuple | int | float)}
        for key, value in redact_value(extras, context=[message]).items():
            record.__dict__[key] = value
        return True
