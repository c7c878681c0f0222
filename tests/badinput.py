"""Loaders for the hostile-input data files in tests/data/ (see tests/data/README.md).

Import from a test file with

    sys.path.insert(0, str(Path(__file__).resolve().parents[N]))   # N so that the path is tests/
    from badinput import load_bad_inputs, load_xss_payloads

(tests/ is not a package; pytest's rootdir-based import mode only puts a test file's own folder on sys.path.)
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

__all__ = ["DATA_DIR", "load_bad_inputs", "load_xss_payloads", "bad_input_entries"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def bad_input_entries() -> tuple[dict, ...]:
    """The raw entries of bad_inputs.json, as stored (long and surrogate entries not materialised)."""
    return tuple(json.loads((DATA_DIR / "bad_inputs.json").read_text(encoding="utf-8")))


def _materialise(entry: dict) -> str:
    if "repeat" in entry:
        return entry["repeat"] * entry["times"]
    if "text_escaped" in entry:
        # A lone surrogate cannot be UTF-8, so the file keeps the escape as text; decoding the JSON
        # string literal gives back the Python str with the unpaired surrogate in it.
        return json.loads('"' + entry["text_escaped"] + '"')
    return entry["text"]


def load_bad_inputs() -> list[tuple[str, str]]:
    """(id, text) for every entry, with repeated and escaped entries turned into the real strings."""
    return [(e["id"], _materialise(e)) for e in bad_input_entries()]


def load_xss_payloads() -> list[str]:
    """XSS payload strings to send as questions, feedback comments and search queries."""
    return json.loads((DATA_DIR / "xss_payloads.json").read_text(encoding="utf-8"))
