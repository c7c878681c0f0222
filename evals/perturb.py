"""Robustness sets: the gold set's questions rewritten mechanically, expectations unchanged.

Five rewrites, each deterministic for a given seed and item id:

* `synonym` — swap terms for another member of their synonym group (corpus/synonyms.yaml, else evals/data)
* `typo` — one typing slip: a known phrase typo, else one character swapped for a homophone
* `traditional` — simplified → traditional characters (zhconv)
* `filler` — spoken-style padding: "那个，…啊？"
* `hanzi_numbers` — Arabic figures written out: "25个" → "二十五个", "2022年" → "二〇二二年"
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from evals.gold_format import GoldItem

__all__ = [
    "PERTURBATIONS",
    "PerturbationTable",
    "load_perturbation_table",
    "swap_synonyms",
    "inject_typo",
    "to_traditional",
    "add_fillers",
    "numbers_to_hanzi",
    "int_to_hanzi",
    "perturb_question",
    "perturb_items",
]

_DATA_FILE = Path(__file__).parent / "data" / "perturbations.yaml"
_DIGITS = "零一二三四五六七八九"


@dataclass
class PerturbationTable:
    synonyms: list[list[str]] = field(default_factory=list)  # groups; first member is the canonical term
    typos: dict[str, str] = field(default_factory=dict)  # correct phrase -> typo
    homophones: dict[str, str] = field(default_factory=dict)  # character -> slip
    prefixes: list[str] = field(default_factory=list)
    particles: list[str] = field(default_factory=list)


def _read_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} should hold a mapping")
    return data


def load_perturbation_table(corpus_dir: Path | None = None) -> PerturbationTable:
    """The built-in tables, with the corpus's synonyms.yaml (if any) taking over synonyms and adding typos."""
    base = _read_yaml(_DATA_FILE)
    synonyms_src, typos_src = base.get("synonyms", []), dict(base.get("typos", {}))
    corpus_file = Path(corpus_dir) / "synonyms.yaml" if corpus_dir else None
    if corpus_file and corpus_file.is_file():
        corpus = _read_yaml(corpus_file)
        synonyms_src = corpus.get("synonyms") or synonyms_src
        typos_src.update(corpus.get("typos") or {})
    groups = [[g["canonical"], *g.get("variants", [])] for g in synonyms_src if g.get("canonical")]
    fillers = base.get("fillers", {})
    return PerturbationTable(
        synonyms=[list(dict.fromkeys(g)) for g in groups if len(set(g)) > 1],
        typos={correct: typo for typo, correct in typos_src.items()},
        homophones=dict(base.get("homophones", {})),
        prefixes=list(fillers.get("prefixes", [])),
        particles=list(fillers.get("particles", [])),
    )


def swap_synonyms(text: str, table: PerturbationTable, rng: random.Random) -> str:
    """Replace every term found with another member of its group (one pass, longest terms first)."""
    group_of = {term: group for group in table.synonyms for term in group}
    if not group_of:
        return text
    pattern = re.compile("|".join(re.escape(t) for t in sorted(group_of, key=len, reverse=True)))

    def swap(m: re.Match[str]) -> str:
        others = [t for t in group_of[m.group(0)] if t != m.group(0)]
        return rng.choice(others)

    return pattern.sub(swap, text)


def inject_typo(text: str, table: PerturbationTable, rng: random.Random) -> str:
    """One slip: a listed phrase typo when the text has such a phrase, else one homophone character."""
    phrases = [(m.start(), m.end(), table.typos[p]) for p in table.typos for m in re.finditer(re.escape(p), text)]
    if phrases:
        s, e, typo = rng.choice(sorted(phrases))
        return text[:s] + typo + text[e:]
    positions = [i for i, ch in enumerate(text) if ch in table.homophones]
    if not positions:
        return text
    i = rng.choice(positions)
    return text[:i] + table.homophones[text[i]] + text[i + 1 :]


def to_traditional(text: str, table: PerturbationTable | None = None, rng: random.Random | None = None) -> str:
    import zhconv

    return zhconv.convert(text, "zh-hant")


def add_fillers(text: str, table: PerturbationTable, rng: random.Random) -> str:
    """A spoken opener, and a particle before the closing question mark."""
    prefix = rng.choice(table.prefixes) if table.prefixes else ""
    particle = rng.choice(table.particles) if table.particles else ""
    m = re.search(r"[？?！!。]+$", text)
    body, end = (text[: m.start()], m.group(0)) if m else (text, "")
    if body.endswith(("吗", "呢", "吧", "啊", "呀", "呗", "么")):
        particle = ""  # "…有补助吗啊？" is not how anyone talks
    return f"{prefix}{body}{particle}{end}"


def _below_10000(n: int, *, leading: bool) -> str:
    out, zero = "", False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit_value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        # 15 reads 十五, not 一十五, when nothing comes before it
        out += ("" if (d == 1 and unit == "十" and not out and leading) else _DIGITS[d]) + unit
    return out


def int_to_hanzi(n: int) -> str:
    """An integer in Chinese numerals: 25 → 二十五, 1050 → 一千零五十, 15000 → 一万五千."""
    if n < 0:
        return "负" + int_to_hanzi(-n)
    if n == 0:
        return "零"
    if n >= 10**12:
        return "".join(_DIGITS[int(d)] for d in str(n))
    out = ""
    for group, big in ((n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")):
        if group == 0:
            continue
        if out and group < 1000:
            out += "零"
        out += _below_10000(group, leading=not out) + big
    return out.replace("零零", "零")


def _number_to_hanzi(m: re.Match[str]) -> str:
    number, percent, year = m.group(1), m.group(2), m.group(3)
    if year:
        return "".join("〇" if d == "0" else _DIGITS[int(d)] for d in number) + year
    whole, _, frac = number.partition(".")
    text = int_to_hanzi(int(whole)) + ("点" + "".join(_DIGITS[int(d)] for d in frac) if frac else "")
    return f"百分之{text}" if percent else text


def numbers_to_hanzi(text: str, table: PerturbationTable | None = None, rng: random.Random | None = None) -> str:
    """Arabic figures in Chinese: amounts and counts by value, years digit by digit, 90% as 百分之九十."""
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return re.sub(r"(\d+(?:\.\d+)?)\s*(?:(%|％)|(?<=\d{4})(年))?", _number_to_hanzi, text)


Perturbation = Callable[[str, PerturbationTable, random.Random], str]

PERTURBATIONS: dict[str, Perturbation] = {
    "synonym": swap_synonyms,
    "typo": inject_typo,
    "traditional": to_traditional,
    "filler": add_fillers,
    "hanzi_numbers": numbers_to_hanzi,
}


def perturb_question(question: str, kind: str, table: PerturbationTable, *, seed: int = 0, key: str = "") -> str:
    """One question rewritten by one perturbation; `key` (the case id) makes each question's dice its own."""
    if kind not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {kind!r}; one of {', '.join(PERTURBATIONS)}")
    # a string seed goes through sha512 in random.seed, so it is stable across runs and machines
    rng = random.Random(f"{seed}:{kind}:{key}")
    return PERTURBATIONS[kind](question, table, rng)


def perturb_items(items: list[GoldItem], kind: str, table: PerturbationTable, *, seed: int = 0) -> list[GoldItem]:
    """Copies of the gold items with every question (and turn) rewritten; ids and expectations kept."""
    out = []
    for item in items:
        if item.turns:
            turns = [
                t.model_copy(update={"question": perturb_question(t.question, kind, table, seed=seed, key=f"{item.id}#t{k}")})
                for k, t in enumerate(item.turns, 1)
            ]
            out.append(item.model_copy(update={"turns": turns}))
        else:
            q = perturb_question(item.question or "", kind, table, seed=seed, key=item.id)
            out.append(item.model_copy(update={"question": q}))
    return out
