"""Fuzzing, with a small fixed budget: whatever bytes or events arrive, only the documented
errors escape, and nothing the validator would refuse comes out as a valid triple."""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sms_export.core.errors import SmsExportError
from sms_export.core.models import Triple
from sms_export.core.readers import read_rows
from sms_export.core.rows import Limits, RawRow
from sms_export.core.triggers import recognise
from sms_export.core.validation import check_row, check_rows

BUDGET = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ["in.csv", "in.tsv", "in.json", "in.jsonl", "in.xlsx", "in.csv.gz", "upload"]
HEADER = "task_id,source_id,source_name\r\n"

# Text as it arrives: any character at all, with the ones that break things made likely.
hostile_text = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(list('",;\t\r\n\x00\x85\u2028\ufeff\u200b\u202e#[]{}\\')),
    ),
    max_size=60,
)


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


def read_all(data: bytes, name: str, content_type: str | None = None) -> list[Triple]:
    """Everything a file yields as valid, or nothing when it is refused as a whole: any
    exception but the documented errors fails the test."""
    try:
        rows = read_rows(
            io.BytesIO(data), name, content_type=content_type, limits=Limits(256 * 1024, 1000)
        )
        return check_rows(rows).valid
    except SmsExportError:
        return []


def assert_valid(triple: Triple) -> None:
    """What comes out as valid must pass validation again, unchanged."""
    assert check_row(RawRow(1, dict(triple._asdict()))) == triple


@BUDGET
@given(st.binary(max_size=2048), st.sampled_from(NAMES), st.sampled_from([None, "text/csv"]))
def test_any_bytes_give_rows_or_a_documented_error(
    data: bytes, name: str, content_type: str | None
) -> None:
    for triple in read_all(data, name, content_type):
        assert_valid(triple)


@BUDGET
@given(
    st.lists(st.lists(hostile_text, min_size=0, max_size=5), max_size=8),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]),
    st.sampled_from([",", ";", "\t"]),
    st.booleans(),
    st.booleans(),
)
def test_any_table_gives_rows_or_a_documented_error(
    cells: list[list[str]], encoding: str, delimiter: str, quote_all: bool, zipped: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    try:
        writer.writerows(cells)
    except csv.Error:  # Python 3.10's writer cannot write a NUL unescaped: not a table then
        assume(False)
    data = encode(HEADER.replace(",", delimiter) + buffer.getvalue(), encoding)
    name = "in.csv.gz" if zipped else "in.csv"
    for triple in read_all(gzip.compress(data) if zipped else data, name):
        assert_valid(triple)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=20,
)
row_objects = st.fixed_dictionaries(
    {},
    optional={
        "task_id": json_values | hostile_text,
        "source_id": json_values | hostile_text,
        "source_name": json_values | hostile_text,
    },
)


@BUDGET
@given(st.lists(row_objects | json_values, max_size=6), st.booleans())
def test_any_json_document_or_lines_gives_rows_or_a_documented_error(
    items: list[Any], as_lines: bool
) -> None:
    if as_lines:
        data = "\n".join(json.dumps(item) for item in items).encode("utf-8", "surrogatepass")
        name = "in.jsonl"
    else:
        data = json.dumps({"task_info": items}).encode("utf-8", "surrogatepass")
        name = "in.json"
    for triple in read_all(data, name):
        assert_valid(triple)


events = st.recursive(
    st.none() | st.booleans() | st.integers() | hostile_text,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Records",
                    "record",
                    "records",
                    "s3",
                    "bucket",
                    "object",
                    "name",
                    "key",
                    "body",
                    "Sns",
                    "Message",
                    "detail",
                    "detail-type",
                    "source",
                    "task_info",
                    "discover",
                    "trigger_type",
                    "user_event",
                    "eventSource",
                    "messageId",
                    "smn",
                    "message",
                    "messages",
                    "httpMethod",
                    "requestContext",
                    "headers",
                    "isBase64Encoded",
                    "version",
                    "http",
                ]
            )
            | hostile_text,
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@BUDGET
@given(events)
def test_any_event_is_recognised_or_refused_with_a_documented_error(event: Any) -> None:
    try:
        recognised = recognise(event)
    except SmsExportError:
        return
    assert recognised.trigger
    assert isinstance(recognised.inputs, list)


@BUDGET
@given(hostile_text, hostile_text, hostile_text)
def test_a_triple_is_valid_only_if_the_api_would_take_it(task: str, source: str, name: str) -> None:
    result = check_row(RawRow(2, {"task_id": task, "source_id": source, "source_name": name}))
    if isinstance(result, Triple):
        for value in result:
            assert 1 <= len(value) <= 255
            assert value == value.strip()
            assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value)
            assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def test_the_depth_limit_is_exact_for_lists_and_objects() -> None:
    import pytest

    from sms_export.core import jsontext

    assert jsontext.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(jsontext.TooDeep):
        jsontext.loads("[" * 65 + "]" * 65)
    deep: Any = {}
    for _ in range(63):
        deep = {"a": deep}
    jsontext.check_depth(deep)
    with pytest.raises(jsontext.TooDeep):
        jsontext.check_depth({"b": deep})
    with pytest.raises(jsontext.TooDeep):
        jsontext.loads(json.dumps([{"a": deep}]))
    jsontext.check_depth("a string")
