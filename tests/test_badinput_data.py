"""The hostile-input data files load, are big enough, and cover every kind the faces are tested with."""

from __future__ import annotations

import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from badinput import bad_input_entries, load_bad_inputs, load_xss_payloads  # noqa: E402

from assistant.privacy import contains_pii  # noqa: E402

REQUIRED_KINDS = {
    "empty", "whitespace", "long", "control", "lone_surrogate", "zero_width", "bidi", "emoji", "traditional",
    "html", "markdown", "sql", "prompt_injection", "numbers", "non_chinese", "format_string", "path_traversal",
    "unicode_normalisation", "long_token", "json_like", "punctuation", "pii",
}


def test_bad_inputs_are_many_with_unique_ids() -> None:
    entries = bad_input_entries()
    assert len(entries) >= 220
    ids = [e["id"] for e in entries]
    assert len(set(ids)) == len(ids)
    for e in entries:
        assert set(e) <= {"id", "kind", "text", "text_escaped", "repeat", "times", "note"}, e["id"]
        assert sum(k in e for k in ("text", "text_escaped", "repeat")) == 1, e["id"]


def test_every_required_kind_is_present() -> None:
    kinds = Counter(e["kind"] for e in bad_input_entries())
    assert REQUIRED_KINDS - set(kinds) == set()


def test_loader_materialises_long_and_surrogate_entries() -> None:
    loaded = dict(load_bad_inputs())
    assert len(loaded) == len(bad_input_entries())
    assert all(isinstance(t, str) for t in loaded.values())
    assert max(len(t.encode("utf-8", "surrogatepass")) for t in loaded.values()) >= 100 * 1024
    surrogates = [loaded[e["id"]] for e in bad_input_entries() if e["kind"] == "lone_surrogate"]
    assert surrogates and all(any(unicodedata.category(c) == "Cs" for c in t) for t in surrogates)
    assert any("\x00" in t for t in loaded.values())
    assert any(t == "" for t in loaded.values())


def test_pii_entries_really_carry_pii() -> None:
    loaded = dict(load_bad_inputs())
    pii = [loaded[e["id"]] for e in bad_input_entries() if e["kind"] == "pii"]
    assert len(pii) >= 5 and all(contains_pii(t) for t in pii)


def test_xss_payloads_cover_the_usual_vectors() -> None:
    payloads = load_xss_payloads()
    assert len(payloads) >= 35 and len(set(payloads)) == len(payloads)
    joined = "\n".join(payloads).lower()
    for marker in ("<script", "onerror=", "onload=", "ontoggle=", "javascript:", "data:text/html", "srcdoc=",
                   "expression(", "{{constructor", "](javascript:", "![", "&#", "<svg", "<details", "<video", "<body"):
        assert marker in joined, marker
