"""Pure parts of the HTTP face, without a server: the token bucket, stream pieces, validation messages."""

from __future__ import annotations

from api.errors import _validation_message
from api.guards import TokenBucket
from api.routes.chat import split_for_stream
from api.wire import replace_surrogates


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_the_burst_then_says_how_long_to_wait():
    clock = FakeClock()
    bucket = TokenBucket(per_minute=60, burst=3, clock=clock)
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == 1.0  # one token a second
    assert bucket.take("b") == 0.0  # clients have buckets of their own
    clock.now += 0.5
    assert bucket.take("a") == 0.5
    clock.now += 0.5
    assert bucket.take("a") == 0.0


def test_token_bucket_refills_no_further_than_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(per_minute=600, burst=2, clock=clock)
    clock.now += 3600
    assert [bucket.take("a") > 0 for _ in range(3)] == [False, False, True]


def test_stream_pieces_join_to_the_text_and_keep_markers_whole():
    text = "根据文件规定[1][12]：“每名参保职工 500 元”，[x] 另见[2]。" * 3
    pieces = split_for_stream(text)
    assert "".join(pieces) == text
    assert "[12]" in pieces and "[1]" in pieces
    assert all(len(p) <= 12 or p.startswith("[") for p in pieces)
    assert split_for_stream("") == []


def test_validation_messages_name_the_field_in_chinese():
    missing = {"type": "missing", "loc": ("body", "question")}
    assert _validation_message(missing) == "缺少请求体字段“question”"
    too_long = {"type": "string_too_long", "loc": ("body", "comment"), "ctx": {"max_length": 1000}}
    assert _validation_message(too_long) == "请求体字段“comment”太长（最多 1000 个字符）"
    bad_int = {"type": "int_parsing", "loc": ("query", "k")}
    assert _validation_message(bad_int) == "查询参数字段“k”应为整数"
    nested = {"type": "string_type", "loc": ("body", "messages", 0, "content")}
    assert "“messages.0.content”" in _validation_message(nested)


def test_lone_surrogates_are_replaced_in_nested_values_and_keys():
    value = {"a\ud800": ["x\udfff", {"k": "\ud83d"}], "n": 3}
    assert replace_surrogates(value) == {"a\ufffd": ["x\ufffd", {"k": "\ufffd"}], "n": 3}
    assert replace_surrogates("稳岗\U0001f600") == "稳岗\U0001f600"  # a proper pair stays
