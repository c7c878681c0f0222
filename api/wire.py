"""Request text as it arrives on the wire, made safe to process and to echo back.

JSON lets a client write `"\\ud800"`: Python decodes it to a lone surrogate, which no UTF-8 writer
accepts (a response that quotes it, the log file, SQLite). Such code units are replaced by U+FFFD at
the edge, in strings and in the keys and values of free-form objects (calculator parameters, profiles),
so everything behind the API sees valid Unicode.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["Text", "JsonObject", "replace_surrogates"]


def _fix(text: str) -> str:
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def replace_surrogates(value: Any) -> Any:
    """The value with every lone surrogate in its strings (and dict keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return _fix(value)
    if isinstance(value, dict):
        return {replace_surrogates(k): replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_surrogates(v) for v in value]
    return value


#: a request string, lone surrogates replaced
Text = Annotated[str, BeforeValidator(replace_surrogates)]
#: a free-form JSON object, lone surrogates replaced throughout
JsonObject = Annotated[dict[str, Any], BeforeValidator(replace_surrogates)]
