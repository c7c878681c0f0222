"""Our PII patterns against jionlp's extractors, on the corpus of benchmarks/pii_forms.py (issue 16, item 2).

For every planted number (all `FORMS`, each in every sentence of the corpus), a detector "masks" it
when one of its spans covers every digit of the number as written; for the legitimate numbers
(amounts, dates, 文号, article numbers, landlines, …) any span over them is a false mask. jionlp is
measured as one would use it for masking: `extract_id_card` plus `extract_phone_number` (whose
results include landlines; they are counted separately below, since masking them is a false mask
here too). jionlp is not a dependency of policy-qa: install it beside the venv to run this, e.g.

    .venv/bin/pip install --target /tmp/jio jionlp && PYTHONPATH=/tmp/jio .venv/bin/python benchmarks/pii_library_compare.py
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pii_forms import _SENTENCES, FORMS, build_corpus  # noqa: E402

from assistant.privacy import find_pii  # noqa: E402

Spans = Callable[[str], list[tuple[int, int]]]


def ours(text: str) -> list[tuple[int, int]]:
    return [(m.start, m.end) for m in find_pii(text)]


def jionlp_detector() -> tuple[Spans, Spans] | None:
    """(all spans jionlp would mask, only its cell-phone and ID spans), or None when it is not installed."""
    try:
        import jionlp as jio  # noqa: PLC0415
    except ImportError:
        return None

    def spans(text: str, cell_only: bool) -> list[tuple[int, int]]:
        found = [tuple(x["offset"]) for x in jio.extract_id_card(text, detail=True)]
        found += [tuple(x["offset"]) for x in jio.extract_phone_number(text, detail=True)
                  if not cell_only or x.get("type") == "cell_phone"]
        return found

    return (lambda t: spans(t, False)), (lambda t: spans(t, True))


def _covers(spans: list[tuple[int, int]], start: int, end: int, text: str) -> bool:
    digit_positions = [i for i in range(start, end) if re.match(r"[0-9０-９Xxｘ]", text[i])]
    return all(any(s <= i < e for s, e in spans) for i in digit_positions)


def measure(detect: Spans, corpus: Any) -> dict[str, Any]:
    per_form: Counter = Counter()
    total_form: Counter = Counter()
    for p in corpus.planted:
        for tpl in _SENTENCES:
            text = tpl.format(n=p.written)
            start = text.index(p.written)
            total_form[p.form] += 1
            per_form[p.form] += _covers(detect(text), start, start + len(p.written), text)
    false = []
    for value in corpus.legit:
        text = f"我们企业情况：{value}，稳岗返还能返多少？"
        start = text.index(value)
        if any(s < start + len(value) and start < e for s, e in detect(text)):
            false.append(value)
    t0 = time.perf_counter()
    for p in corpus.planted[:500]:
        detect(f"手机：{p.written}，一次性留工培训补助多少？")
    per_call_us = (time.perf_counter() - t0) / 500 * 1e6
    masked = sum(per_form.values())
    total = sum(total_form.values())
    return {"masked": masked, "total": total, "recall": masked / total, "false_masks": false,
            "per_form": {f: per_form[f] / total_form[f] for f in total_form}, "us_per_call": round(per_call_us, 1)}


def compare(per_form: int = 20) -> dict[str, Any]:
    corpus = build_corpus(per_form=per_form)
    out = {"numbers": len(corpus.planted), "sentences": len(corpus.planted) * len(_SENTENCES),
           "forms": len(FORMS), "legit": len(corpus.legit), "ours": measure(ours, corpus)}
    jio = jionlp_detector()
    if jio is not None:
        out["jionlp"] = measure(jio[0], corpus)
        out["jionlp (cell phones and IDs only)"] = measure(jio[1], corpus)
    return out


def main() -> int:
    r = compare()
    print(f"{r['numbers']} personal numbers x {len(_SENTENCES)} sentences = {r['sentences']} cases in {r['forms']} "
          f"forms; {r['legit']} legitimate numbers")
    names = [n for n in ("ours", "jionlp", "jionlp (cell phones and IDs only)") if n in r]
    if "jionlp" not in r:
        print("(jionlp not installed: only our patterns measured)")
    print(f"{'detector':<36}{'masked':>14}{'recall':>9}{'false masks':>13}{'us/call':>9}")
    for n in names:
        m = r[n]
        print(f"{n:<36}{m['masked']:>7}/{m['total']:<6}{m['recall']:>9.2%}{len(m['false_masks']):>13}{m['us_per_call']:>9}")
    print("\nrecall per form:")
    print(f"{'form':<30}" + "".join(f"{n[:14]:>16}" for n in names))
    for form in FORMS:
        print(f"{form:<30}" + "".join(f"{r[n]['per_form'][form]:>16.0%}" for n in names))
    for n in names:
        if r[n]["false_masks"]:
            print(f"\n{n} false masks ({len(r[n]['false_masks'])}): " + ", ".join(r[n]["false_masks"][:20]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
