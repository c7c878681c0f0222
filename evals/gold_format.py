"""The gold-set format: JSON Lines, one question (or one conversation) per line.

A line is either a single question::

    {"id": "amt-01", "category": "amount", "question": "…", "expected_clauses": ["sx-rst-2022-19#2.2"],
     "must_contain": [["500元", "五百元"]], "must_not_contain": ["1500元"], "expect_refusal": false,
     "expect_lapsed": true, "as_of": "2025-01-01", "notes": "…"}

or a conversation whose turns run in one session, only turns with expectations being scored::

    {"id": "mt-01", "category": "amount", "turns": [{"question": "…"}, {"question": "…", "must_contain": [["…"]]}]}

`load_gold` never raises on a bad line: it returns the good items and a `(line_no, message)` for
every line it had to skip, so an evaluator bringing their own set sees every mistake at once.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "CATEGORIES",
    "Category",
    "Expectations",
    "Turn",
    "GoldItem",
    "GoldProblem",
    "Case",
    "load_gold",
    "parse_gold_lines",
    "expand_cases",
    "check_clause_ids",
]

Category = Literal["amount", "eligibility", "deadline", "department", "fact", "out_of_scope", "adversarial"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


def _as_alternatives(value: Any) -> Any:
    """A fact may be written as a plain string (one way to say it) or a list of accepted alternatives."""
    if isinstance(value, list):
        return [[v] if isinstance(v, str) else v for v in value]
    return value


class Expectations(BaseModel):
    """What a scored question expects; shared by single questions and conversation turns."""

    model_config = ConfigDict(extra="forbid")

    expected_clauses: list[str] = Field(default_factory=list, description="full clause ids, e.g. sx-rst-2022-19#2.2")
    must_contain: list[list[str]] = Field(default_factory=list, description="facts; each a list of accepted alternatives")
    must_not_contain: list[str] = Field(default_factory=list)
    expect_refusal: bool = False
    expect_lapsed: bool | None = None
    as_of: date | None = None

    _alternatives = field_validator("must_contain", mode="before")(_as_alternatives)

    @field_validator("must_contain")
    @classmethod
    def _no_empty_fact(cls, v: list[list[str]]) -> list[list[str]]:
        if any(not alts or not all(a.strip() for a in alts) for alts in v):
            raise ValueError("must_contain has an empty fact or an empty alternative")
        return v

    @field_validator("expected_clauses")
    @classmethod
    def _full_ids(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if "#" not in c]
        if bad:
            raise ValueError(f"expected_clauses must be full ids like 'doc-id#2.2', got {bad}")
        return v

    @property
    def is_scored(self) -> bool:
        return bool(self.expected_clauses or self.must_contain or self.must_not_contain or self.expect_refusal) or (
            self.expect_lapsed is not None
        )


class Turn(Expectations):
    question: str = Field(min_length=1)


class GoldItem(Expectations):
    id: str = Field(min_length=1)
    category: Category
    question: str | None = Field(None, min_length=1)
    turns: list[Turn] | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _question_or_turns(self) -> GoldItem:
        if self.question is None and not self.turns:
            raise ValueError("missing question (give 'question', or 'turns' for a conversation)")
        if self.question is not None and self.turns:
            raise ValueError("give either 'question' or 'turns', not both")
        if self.turns and not any(t.is_scored for t in self.turns):
            raise ValueError("no turn of this conversation has expectations to score")
        if self.turns and self.is_scored:
            raise ValueError("a conversation puts its expectations on its turns, not on the item")
        if self.question is not None and not self.question.strip():
            raise ValueError("missing question (it is blank)")
        return self

    @property
    def is_conversation(self) -> bool:
        return bool(self.turns)


class GoldProblem(NamedTuple):
    line_no: int
    message: str


class Case(BaseModel):
    """One scored question: a single-question item, or one scored turn of a conversation."""

    case_id: str  # item id, or "<item id>#t<turn number>" for a conversation turn
    item_id: str
    category: Category
    question: str
    turn: int | None = None  # 1-based turn number in its conversation
    expectations: Expectations


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown field '{loc}'")
        elif err["type"] == "missing":
            parts.append(f"missing field '{loc}'")
        elif err["type"] == "literal_error" and loc == "category":
            parts.append(f"bad category {err['input']!r} (one of {', '.join(CATEGORIES)})")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_gold_lines(lines: list[str]) -> tuple[list[GoldItem], list[GoldProblem]]:
    """Parse JSON Lines text; blank lines are skipped, every other bad line becomes a problem."""
    items: list[GoldItem] = []
    problems: list[GoldProblem] = []
    seen: dict[str, int] = {}
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(GoldProblem(no, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(data, dict):
            problems.append(GoldProblem(no, f"expected a JSON object, got {type(data).__name__}"))
            continue
        try:
            item = GoldItem.model_validate(data)
        except ValidationError as exc:
            problems.append(GoldProblem(no, _describe(exc)))
            continue
        if item.id in seen:
            problems.append(GoldProblem(no, f"duplicate id {item.id!r} (first on line {seen[item.id]})"))
            continue
        seen[item.id] = no
        items.append(item)
    return items, problems


def load_gold(path: Path) -> tuple[list[GoldItem], list[GoldProblem]]:
    """Read a gold file; an unreadable file is one problem on line 0 rather than an exception."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [GoldProblem(0, f"cannot read {path}: {exc}")]
    return parse_gold_lines(text.splitlines())


def expand_cases(items: list[GoldItem]) -> list[Case]:
    """The scored questions of a gold set in order; conversation turns without expectations are not cases."""
    cases: list[Case] = []
    for item in items:
        if item.turns:
            for k, turn in enumerate(item.turns, 1):
                if turn.is_scored:
                    exp = Expectations.model_validate(turn.model_dump(exclude={"question"}))
                    if exp.as_of is None:
                        exp.as_of = item.as_of
                    cases.append(
                        Case(case_id=f"{item.id}#t{k}", item_id=item.id, category=item.category,
                             question=turn.question, turn=k, expectations=exp)
                    )
        else:
            exp = Expectations.model_validate(item.model_dump(include=set(Expectations.model_fields)))
            cases.append(Case(case_id=item.id, item_id=item.id, category=item.category,
                              question=item.question or "", expectations=exp))
    return cases


def check_clause_ids(items: list[GoldItem], known_ids: set[str]) -> list[str]:
    """Expected clause ids that name no clause of the corpus (a typo in a gold set, usually)."""
    warnings = []
    for item in items:
        groups = [item.expected_clauses] + [t.expected_clauses for t in item.turns or []]
        for cid in (c for g in groups for c in g):
            if cid not in known_ids:
                warnings.append(f"{item.id}: expected clause {cid} is not in the corpus")
    return warnings
