"""How well `assistant.privacy` masks personal data, and how often it masks something it should not.

Recall: N generated valid ID-card numbers and N mobile numbers (in the written forms citizens use:
plain, 3-4-4 grouped, +86/0086 prefixed, full-width) are planted inside sentences taken from the corpus
document; a plant counts as masked when `redact` removes it and leaves the mask in its place.
Goal: 100 %.

False positives: every date, amount, percentage, other number and 文号 found in the corpus document,
plus generated landline and public service numbers (which the rule deliberately leaves visible).
Goal: 0.

    .venv/bin/python benchmarks/pii_figures.py [N]
"""

from __future__ import annotations

import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

from assistant.privacy import ID_CARD_MASK, PHONE_MASK, PROVINCE_CODES, find_pii, redact
from assistant.privacy import _MONEY_AFTER  # noqa: PLC2701 (the units the amount rule reads)

CORPUS_DOC = Path(__file__).resolve().parent.parent / "corpus" / "documents" / "sx-rst-2022-19.txt"
SEED = 11643

# Patterns that pull the corpus's own numbers out with their unit, so each candidate is judged as written.
_CORPUS_CANDIDATES = {
    "dates": re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*\d{1,2}\s*日"),
    "amounts": re.compile(r"\d+(?:\.\d+)?\s*(?:万元|元|万个|万人|%)"),
    "doc_numbers": re.compile(r"[\u4e00-\u9fff]{1,10}〔\d{4}〕\d+号"),
    "other_numbers": re.compile(r"\d+(?:\.\d+)?"),
}
_PHONE_FORMS = ("plain", "grouped_space", "grouped_hyphen", "+86", "0086 ", "fullwidth")
_FULLWIDTH = str.maketrans("0123456789X+-", "０１２３４５６７８９Ｘ＋－")
_CONNECTORS = ("", "我的身份证号是", "手机：", "号码", "，", "（", "请联系")


def mod11_2_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 in its recursive form, kept apart from the module's weighted sum on purpose:
    generating IDs with the code under measurement would hide a wrong check-digit table."""
    p = 0
    for ch in first17:
        p = ((p + int(ch)) * 2) % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def generate_id_card(rng: random.Random, today: date) -> str:
    """A random well-formed 18-character ID: valid province, real birth date, right check character."""
    region = f"{rng.choice(sorted(PROVINCE_CODES)):02d}{rng.randint(0, 9999):04d}"
    born = date(1900, 1, 1) + timedelta(days=rng.randint(0, (today - date(1900, 1, 1)).days))
    body = f"{region}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + mod11_2_check(body)


def generate_phone(rng: random.Random) -> str:
    """A random mobile number in one of the written forms citizens use."""
    number = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
    form = rng.choice(_PHONE_FORMS)
    if form == "grouped_space":
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if form == "grouped_hyphen":
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if form in ("+86", "0086 "):
        return form + number
    if form == "fullwidth":
        return number.translate(_FULLWIDTH)
    return number


def _plant(rng: random.Random, sentence: str, number: str) -> str:
    """Insert `number` at a random point of `sentence` where no ASCII letter, digit or '.' touches it, and
    not right before a unit of money: an ungrouped 11-digit run followed by 元 / 万 … is an amount by the
    module's documented rule (issue 16: amounts must not be masked), so a plant there measures that rule,
    not recall."""
    ok = [
        i
        for i in range(len(sentence) + 1)
        if (i == 0 or not re.match(r"[0-9A-Za-z.]", sentence[i - 1]))
        and (i == len(sentence) or not re.match(r"[0-9A-Za-z.]", sentence[i]))
        and not sentence[i:].lstrip(" ").startswith(_MONEY_AFTER)
    ]
    i = rng.choice(ok)
    return sentence[:i] + rng.choice(_CONNECTORS) + number + sentence[i:]


def _masked(rng: random.Random, sentences: list[str], number: str, mask: str) -> bool:
    sentence = rng.choice(sentences)
    planted = _plant(rng, sentence, number)
    out = redact(planted)
    return number not in out and out.count(mask) == 1 and out.replace(mask, "") == planted.replace(number, "")


def _landlines(rng: random.Random, n: int) -> list[str]:
    """Landline and public service numbers: visible by design, so each one masked is a false positive."""
    service = ["12333", "12345", "12315", "12366", "95598", "10086", "110", "119", "120", "400-810-8888"]
    lines = []
    for _ in range(n):
        area = rng.choice(["010", "021", "0351", "0352", "0354", "0355", "0356", "0357", "0358", "0359"])
        local = str(rng.randint(2_000_000, 9_999_999) if len(area) == 4 else rng.randint(20_000_000, 89_999_999))
        lines.append(rng.choice([f"{area}-{local}", f"{area} {local}", f"({area}){local}", f"{area}{local}"]))
    return service + lines


def pii_figures(n: int = 10_000, seed: int = SEED) -> dict:
    """Recall over `n` planted IDs and `n` planted phones; false positives over corpus numbers and landlines."""
    rng = random.Random(seed)
    today = date.today()
    text = CORPUS_DOC.read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[。；！？\n])", text) if s.strip()]

    ids_masked = sum(_masked(rng, sentences, generate_id_card(rng, today), ID_CARD_MASK) for _ in range(n))
    phones_masked = sum(_masked(rng, sentences, generate_phone(rng), PHONE_MASK) for _ in range(n))

    false_positives: dict[str, dict[str, int]] = {}
    for category, pattern in _CORPUS_CANDIDATES.items():
        found = [m.group() for m in pattern.finditer(text)]
        false_positives[category] = {"candidates": len(found), "masked": sum(bool(find_pii(c)) for c in found)}
    lines = text.splitlines()
    false_positives["document_lines"] = {"candidates": len(lines), "masked": sum(bool(find_pii(x)) for x in lines)}
    public = _landlines(rng, 1000)
    false_positives["landlines_and_service_numbers"] = {
        "candidates": len(public),
        "masked": sum(bool(find_pii(f"咨询电话{x}。")) for x in public),
    }
    return {
        "n": n,
        "id_cards_masked": ids_masked,
        "id_card_recall": ids_masked / n if n else 1.0,
        "phones_masked": phones_masked,
        "phone_recall": phones_masked / n if n else 1.0,
        "false_positives": false_positives,
        "false_positive_total": sum(v["masked"] for v in false_positives.values()),
    }


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 10_000
    f = pii_figures(n)
    print(f"PII masking, N = {f['n']:,} each (goal: 100 % masked, 0 false positives)")
    print(f"{'what':<34}{'count':>10}{'masked':>10}{'share':>10}")
    print(f"{'valid ID-card numbers':<34}{n:>10,}{f['id_cards_masked']:>10,}{f['id_card_recall']:>10.2%}")
    print(f"{'mobile numbers (6 written forms)':<34}{n:>10,}{f['phones_masked']:>10,}{f['phone_recall']:>10.2%}")
    print("false positives (should stay visible)")
    for category, v in f["false_positives"].items():
        print(f"  {category:<32}{v['candidates']:>10,}{v['masked']:>10,}")
    print(f"{'false positives total':<34}{'':>10}{f['false_positive_total']:>10,}")
    return 0 if f["id_card_recall"] == 1 and f["phone_recall"] == 1 and f["false_positive_total"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
