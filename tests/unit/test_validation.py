"""Validation mirrors the API's constraints and explains every rejection."""

from __future__ import annotations

from typing import Any

import pytest

from sms_export.core.batching import unique
from sms_export.core.models import Rejection, Triple
from sms_export.core.rows import RawRow
from sms_export.core.validation import check_row, check_rows
from tests.support import source_id, task_id

GOOD = {"task_id": task_id(1), "source_id": source_id(1), "source_name": "web-01"}


def reason(fields: Any) -> str:
    result = check_row(RawRow(7, fields))
    assert isinstance(result, Rejection), result
    assert result.row == 7
    return result.reason


def test_a_good_row_becomes_a_triple_with_whitespace_stripped() -> None:
    result = check_row(
        RawRow(
            2,
            {
                "task_id": f"  {task_id(1)} ",
                "source_id": f"\t{source_id(1)}",
                "source_name": "web 01 ",
            },
        )
    )
    assert result == Triple(task_id=task_id(1), source_id=source_id(1), source_name="web 01")


def test_extra_fields_are_ignored() -> None:
    assert isinstance(check_row(RawRow(2, {**GOOD, "owner": "ops"})), Triple)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"source_id": "s", "source_name": "n"}, "task_id is missing"),
        ({**GOOD, "source_id": "   "}, "source_id is empty"),
        ({**GOOD, "source_name": "x" * 256}, "source_name is longer than 255 characters (256)"),
        ({**GOOD, "task_id": 42}, "task_id must be text, not int (42)"),
        (
            {**GOOD, "source_name": "web\x0701"},
            "source_name contains a control character (U+0007) at position 4",
        ),
        (
            {**GOOD, "source_name": "a\nb"},
            "source_name contains a control character (U+000A) at position 2",
        ),
        (["t", "s", "n"], "not an object with task_id, source_id, source_name"),
    ],
)
def test_each_broken_rule_has_a_readable_reason(fields: Any, expected: str) -> None:
    assert reason(fields) == expected


def test_all_problems_of_a_row_are_reported_together() -> None:
    assert reason({"task_id": "", "source_name": "n"}) == "task_id is empty; source_id is missing"


def test_exactly_255_characters_is_accepted() -> None:
    assert isinstance(check_row(RawRow(2, {**GOOD, "source_name": "名" * 255})), Triple)


def test_check_rows_keeps_row_numbers_and_lets_valid_rows_through() -> None:
    rows = [
        RawRow(2, GOOD),
        RawRow(3, {**GOOD, "task_id": ""}),
        RawRow(5, {**GOOD, "task_id": task_id(2)}),
    ]
    checked = check_rows(rows)
    assert [t.task_id for t in checked.valid] == [task_id(1), task_id(2)]
    assert [(r.row, r.reason) for r in checked.rejected] == [(3, "task_id is empty")]
    assert checked.rejected[0].values == {
        "task_id": "",
        "source_id": source_id(1),
        "source_name": "web-01",
    }


@pytest.mark.parametrize("character", ["\x7f", "\x80", "\x85", "\x9f", "\x00", "\x1f"])
@pytest.mark.parametrize("name", ["task_id", "source_id", "source_name"])
def test_del_and_c1_controls_are_rejected_like_c0_in_every_field(character: str, name: str) -> None:
    fields = {**GOOD, name: f"ab{character}cd"}
    assert reason(fields) == (
        f"{name} contains a control character (U+{ord(character):04X}) at position 3"
    )
    # The same row among valid ones, checked in a chunk: still rejected, by its number.
    checked = check_rows([RawRow(2, GOOD), RawRow(3, fields), RawRow(4, GOOD)])
    assert [(r.row, r.reason.split(" (")[0]) for r in checked.rejected] == [
        (3, f"{name} contains a control character")
    ]
    assert len(checked.valid) == 2


def test_the_characters_beside_the_control_ranges_are_accepted() -> None:
    for character in ("\x20", "\x7e", "\xa0", "\xa1"):
        fields = {**GOOD, "source_name": f"ab{character}cd"}
        assert isinstance(check_row(RawRow(2, fields)), Triple), repr(character)


def test_a_chunk_of_valid_rows_keeps_every_row_in_order() -> None:
    rows = [RawRow(n, {**GOOD, "task_id": task_id(n)}) for n in range(2, 5000)]
    checked = check_rows(rows)
    assert [t.task_id for t in checked.valid] == [task_id(n) for n in range(2, 5000)]
    assert checked.rejected == []


def test_one_bad_row_in_a_large_chunk_rejects_only_it() -> None:
    rows = [RawRow(n, {**GOOD, "task_id": task_id(n)}) for n in range(2, 3000)]
    rows[2500] = RawRow(2502, {**GOOD, "task_id": " "})
    checked = check_rows(rows)
    assert [(r.row, r.reason) for r in checked.rejected] == [(2502, "task_id is empty")]
    assert len(checked.valid) == 2997
    assert checked.valid[2499].task_id == task_id(2501)
    assert checked.valid[2500].task_id == task_id(2503)


@pytest.mark.parametrize(
    ("character", "label"),
    [
        ("\u200b", "U+200B Zero Width Space"),
        ("\u202e", "U+202E Right-To-Left Override"),
        ("\ufeff", "U+FEFF Zero Width No-Break Space"),
        ("\u00ad", "U+00AD Soft Hyphen"),
        ("\u2066", "U+2066 Left-To-Right Isolate"),
    ],
)
def test_format_characters_pasted_from_web_pages_are_rejected(character: str, label: str) -> None:
    fields = {**GOOD, "source_id": f"s-{character}1"}  # the character is found first
    assert reason(fields) == f"source_id contains a format character ({label}) at position 3"


def test_the_format_characters_are_exactly_unicodes_category_cf() -> None:
    import re
    import sys
    import unicodedata

    from sms_export.core.models import FORMAT_CHARACTERS

    listed = re.compile(f"[{FORMAT_CHARACTERS}]")
    cf = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert all(listed.fullmatch(ch) for ch in cf)  # every one this Python knows…
    matched = {chr(c) for c in range(sys.maxunicode + 1) if listed.fullmatch(chr(c))}
    # …and nothing else that this Python assigns (newer Unicode versions only add to Cf).
    assert all(unicodedata.category(ch) in ("Cf", "Cn") for ch in matched - cf)


@pytest.mark.parametrize("surrogate", [chr(point) for point in (0xD800, 0xDBFF, 0xDC00, 0xDFFF)])
def test_a_lone_surrogate_is_rejected_with_its_position(surrogate: str) -> None:
    assert reason({**GOOD, "source_name": f" ab{surrogate}c"}) == (
        "source_name is not valid Unicode: a lone surrogate at position 3"
    )


def test_letters_of_every_script_stay_valid() -> None:
    for name in ("数据库主机", "сервер-01", "خادم", "서버", "サーバー", "🚀 web"):
        assert isinstance(check_row(RawRow(2, {**GOOD, "source_name": name})), Triple), name


@pytest.mark.parametrize("value", ["#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?"])
def test_excel_error_values_are_rejected_in_a_chunk_or_alone(value: str) -> None:
    fields = {**GOOD, "source_id": value}
    assert reason(fields) == (
        f"source_id is an Excel error value ({value}): the formula behind it failed"
    )
    rows = [RawRow(n, {**GOOD, "task_id": task_id(n)}) for n in range(2, 10)]
    rows[3] = RawRow(5, fields)
    checked = check_rows(rows)
    assert [r.row for r in checked.rejected] == [5]
    assert len(checked.valid) == 7
    assert isinstance(check_row(RawRow(2, {**GOOD, "source_name": "#1 web"})), Triple)


def test_every_excel_error_of_a_row_is_named_and_the_row_kept_for_the_report() -> None:
    fields = {"task_id": "#N/A", "source_id": source_id(1), "source_name": "#REF!"}
    result = check_row(RawRow(4, fields))
    assert isinstance(result, Rejection)
    assert result.reason == (
        "task_id is an Excel error value (#N/A): the formula behind it failed; "
        "source_name is an Excel error value (#REF!): the formula behind it failed"
    )
    assert result.values == fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("t-1", "task_id is not an SMS id: 't-1' is not a UUID such as "),
        (task_id(1)[:-1], "task_id is not an SMS id: "),
        (task_id(1) + "0", "task_id is not an SMS id: "),
        (task_id(1).replace("-", "", 1), "task_id is not an SMS id: "),
        (task_id(1).replace("7", "g", 1), "task_id is not an SMS id: "),
        (
            "x" * 200,
            "task_id is not an SMS id: '" + "x" * 59 + " is not",  # the value cut short
        ),
    ],
)
def test_ids_that_are_not_uuids_are_rejected_by_default(value: str, expected: str) -> None:
    assert reason({**GOOD, "task_id": value}).startswith(expected)
    assert reason({**GOOD, "task_id": value}).endswith("(ID_FORMAT=any accepts other ids)")
    assert isinstance(check_row(RawRow(2, {**GOOD, "task_id": value}), "any"), Triple)
    rows = [RawRow(n, {**GOOD, "source_id": source_id(n)}) for n in range(2, 10)]
    rows[4] = RawRow(6, {**GOOD, "source_id": value})
    assert [r.row for r in check_rows(rows).rejected] == [6]
    assert len(check_rows(rows, "any").valid) == 8


def test_uuids_in_upper_case_are_ids_too() -> None:
    fields = {**GOOD, "task_id": "4B1CF0A2-7E1D-4C52-9B3E-2F8D1E0A9C11"}
    assert isinstance(check_row(RawRow(2, fields)), Triple)


def test_a_uuid_in_upper_case_is_sent_in_lower_case_and_found_a_duplicate() -> None:
    upper = {name: value.upper() for name, value in GOOD.items()}
    upper["source_name"] = GOOD["source_name"]
    rows = [RawRow(2, GOOD), RawRow(3, upper)]
    chunk = check_rows(rows).valid  # the chunk path
    one_by_one = [check_row(row) for row in rows]  # the row-by-row path
    expected = Triple(GOOD["task_id"], GOOD["source_id"], "web-01")
    assert chunk == one_by_one == [expected, expected]
    assert unique(chunk) == ([expected], 1)


def test_ids_of_any_format_are_kept_and_compared_as_given() -> None:
    upper = {**GOOD, "task_id": GOOD["task_id"].upper(), "source_id": "Src-A"}
    rows = [RawRow(2, {**GOOD, "source_id": "Src-A"}), RawRow(3, upper)]
    valid = check_rows(rows, "any").valid
    assert [(t.task_id, t.source_id) for t in valid] == [
        (GOOD["task_id"], "Src-A"),
        (GOOD["task_id"].upper(), "Src-A"),
    ]
    assert unique(valid)[1] == 0


@pytest.mark.parametrize("id_format", ["uuid", "any"])
@pytest.mark.parametrize(
    ("value", "label", "position"),
    [
        (task_id(1).replace("0", "\uff10", 1), "U+FF10 Fullwidth Digit Zero", 1),
        (task_id(1).replace("-", "\uff0d", 1), "U+FF0D Fullwidth Hyphen-Minus", 9),
        (task_id(1).replace("-", "\u2013", 1), "U+2013 En Dash", 9),
        ("任务-1", "U+4EFB Cjk Unified Ideograph-4Efb", 1),
    ],
)
def test_ids_with_characters_outside_ascii_are_rejected_in_any_format(
    value: str, label: str, position: int, id_format: str
) -> None:
    for name in ("task_id", "source_id"):
        result = check_row(RawRow(3, {**GOOD, name: value}), id_format)  # type: ignore[arg-type]
        assert isinstance(result, Rejection)
        assert result.reason == (
            f"{name} contains a non-ASCII character ({label}) at position {position}: "
            "SMS ids are ASCII, type it again"
        )
        rows = [RawRow(2, GOOD), RawRow(3, {**GOOD, name: value})]
        assert [r.row for r in check_rows(rows, id_format).rejected] == [3]  # type: ignore[arg-type]


def test_a_character_without_a_unicode_name_is_named_by_its_code_point() -> None:
    value = task_id(1).replace("-", "\u0378", 1)  # unassigned: no name
    assert reason({**GOOD, "task_id": value}) == (
        "task_id contains a non-ASCII character (U+0378 Unnamed) at position 9: "
        "SMS ids are ASCII, type it again"
    )


def test_a_chunk_with_a_bad_row_keeps_the_id_format_for_the_others() -> None:
    rows = [RawRow(n, {**GOOD, "task_id": f"t-{n}"}) for n in range(2, 6)]
    rows[1] = RawRow(3, {**GOOD, "task_id": ""})  # the chunk is checked row by row
    checked = check_rows(rows, "any")
    assert [t.task_id for t in checked.valid] == ["t-2", "t-4", "t-5"]
    assert [r.row for r in checked.rejected] == [3]
