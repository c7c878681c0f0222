"""The numbering grammar of Chinese official documents, as data plus one reader.

Two families share one table (after RAGFlow's `BULLET_PATTERN`, with offsets and labels kept):

* legal texts (法律, 法规, 规章): 第X编 › 第X章 › 第X节 › 第X条, and inside an article its paragraphs
  (款) and items （一） (项) with their sub-items 1. (目);
* documents after GB/T 9704-2012 (意见, 通知, 方案): 一、 › （一） › 1. › （1） › ①, with the common
  variants (1、 (1) 1．) and titles on a line of their own.

The family of a document is chosen by which markers its lines carry (an article 第一条 makes it legal);
one tree builder in `index.parse` reads both. Nothing here names a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

__all__ = ["Marker", "MARKERS", "LEGAL_HEADINGS", "match_marker", "to_int", "to_cn", "responsibility_tail",
           "RESP_LINE_RE", "UNIT_SPLIT_RE", "DOC_YEAR"]

#: the year of a 文号 in 〔〕 as GB/T 9704 prints it, or in the brackets many published copies use ([2008], ［2008］)
DOC_YEAR = r"[〔\[［]\d{4}[〕\]］]"

_CN = "零〇一二三四五六七八九十百千两"
_CN_NUM = f"[{_CN}]+"


@dataclass(frozen=True)
class Marker:
    """One numbering style: its name, its depth among its family, and the line pattern."""

    name: str
    rank: int  # smaller is outer; legal headings 0–3, GB/T levels 10–14
    pattern: re.Pattern[str]  # groups: (number, rest of the line)
    numeral: str  # "cn" | "ar" | "circ"
    heading_only: bool = False  # the rest of the line is a title, never body text (第一章 总则)


def _m(name: str, rank: int, pattern: str, numeral: str, heading_only: bool = False) -> Marker:
    return Marker(name, rank, re.compile(pattern), numeral, heading_only)


MARKERS: tuple[Marker, ...] = (
    _m("bian", 0, rf"^第({_CN_NUM})编(?:[\s\u3000]+(.*)|$)", "cn", True),
    _m("zhang", 1, rf"^第({_CN_NUM})章(?:[\s\u3000]*(.*))$", "cn", True),
    _m("jie", 2, rf"^第({_CN_NUM})节(?:[\s\u3000]*(.*))$", "cn", True),
    _m("tiao", 3, rf"^第({_CN_NUM})条(?:[\s\u3000]+|(?=[^\s\u3000，。、的款项]))(.*)$", "cn"),
    _m("cn1", 10, rf"^({_CN_NUM})、[\s\u3000]*(.+)$", "cn"),
    _m("cn2", 11, rf"^[（(]({_CN_NUM})[)）][\s\u3000]*(.+)$", "cn"),
    _m("ar1", 12, r"^(\d{1,3})[\s\u3000]*[\.．、](?!\d)[\s\u3000]*(.+)$", "ar"),
    _m("ar2", 13, r"^[（(][\s\u3000]*(\d{1,2})[\s\u3000]*[)）][\s\u3000]*(.+)$", "ar"),
    _m("circ", 14, r"^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])[\s\u3000]*(.+)$", "circ"),
)

#: the legal headings that hold articles (编, 章, 节); articles themselves are "tiao"
LEGAL_HEADINGS = {"bian", "zhang", "jie"}

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def to_int(numeral: str, kind: str) -> int | None:
    """The value of a marker's number: 二十七 → 27, 12 → 12, ③ → 3; None when it is no numeral."""
    try:
        if kind == "ar":
            return int(numeral)
        if kind == "circ":
            return _CIRCLED.index(numeral) + 1
        return int(cn2an.cn2an(numeral.replace("〇", "零"), "strict"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def to_cn(n: int) -> str:
    """A number as the documents write it in labels: 3 → 三, 21 → 二十一."""
    return cn2an.an2cn(n)


def match_marker(text: str) -> tuple[Marker, int, str, int] | None:
    """The numbering marker a paragraph starts with: (marker, number, rest, offset of rest)."""
    for marker in MARKERS:
        m = marker.pattern.match(text)
        if not m:
            continue
        n = to_int(m.group(1), marker.numeral)
        if n is None or n <= 0:
            continue
        rest = m.group(2) or ""
        if not rest and not marker.heading_only:
            continue
        return marker, n, rest, (m.start(2) if m.group(2) is not None else len(text))
    return None


# 责任领导 / 牵头处室（单位）/ 责任单位 / 配合单位 … lines of a work plan's responsibility block
RESP_LINE_RE = re.compile(
    r"^(责任领导|牵头(?:处室|单位|部门)|责任(?:处室|单位|部门)|配合(?:处室|单位|部门)|参与(?:单位|部门))"
    r"(?:[（(]单位[)）])?[\s\u3000]*[：:][\s\u3000]*(.+)$"
)
UNIT_SPLIT_RE = re.compile(r"[、，,；;\s\u3000]+")

# "（人力资源社会保障部、财政部负责，列第一位者为牵头单位）", "（财政部、人民银行等按职责分工负责）" at a paragraph's end
_TAIL_RE = re.compile(
    r"[（(]((?:[^（）()]|[（(][^（）()]*[)）])+?)(?:等)?(?:按职责分工|按职责|分别)?负责"
    r"(?:[，,；;][^（）()]*)?[)）][。；;]?$"
)


def responsibility_tail(text: str) -> tuple[list[str], list[str], int] | None:
    """Units a trailing responsibility bracket names: (lead, cooperating, offset of the bracket).

    The first unit leads ("列第一位者为牵头单位"); a "牵头" marker inside the bracket is honoured too.
    """
    m = _TAIL_RE.search(text)
    if not m:
        return None
    inner = m.group(1)
    lead_part, _, coop_part = inner.partition("牵头")
    if coop_part:  # "财政部牵头，人民银行配合" style
        lead = [u for u in UNIT_SPLIT_RE.split(lead_part) if u]
        coop = [u for u in UNIT_SPLIT_RE.split(re.sub(r"配合|参与", "", coop_part)) if u]
    else:
        units = [u for u in UNIT_SPLIT_RE.split(inner) if u]
        lead, coop = units[:1], units[1:]
    if not lead:
        return None
    return lead, coop, m.start()
