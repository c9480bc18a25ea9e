"""JSON as it enters the function: bounded in depth, with repeated keys marked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sms_export.core.jsontext import MAX_DEPTH, RepeatedKeys, TooDeep, check_depth, loads


def nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def test_json_nested_up_to_the_limit_loads_and_one_level_more_does_not() -> None:
    assert loads(json.dumps(nested(MAX_DEPTH))) == nested(MAX_DEPTH)
    with pytest.raises(TooDeep, match=f"deeper than {MAX_DEPTH} levels"):
        loads(json.dumps(nested(MAX_DEPTH + 1)))


def test_json_too_deep_for_the_parser_is_too_deep_not_a_recursion_error() -> None:
    with pytest.raises(TooDeep):
        loads("[" * 100_000 + "]" * 100_000)
    assert issubclass(TooDeep, ValueError)  # caught where JSONDecodeError is


def test_an_already_parsed_value_is_checked_without_recursion() -> None:
    check_depth(nested(MAX_DEPTH))
    check_depth("scalar")
    with pytest.raises(TooDeep):
        check_depth(nested(50_000))


def test_repeated_keys_are_marked_and_plain_objects_are_plain_dicts() -> None:
    document = loads('{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}')
    assert type(document) is RepeatedKeys
    assert (document, document.repeated) == ({"a": 3, "b": {"c": 2}}, ("a",))
    assert document["b"].repeated == ("c",)
    assert type(loads('{"a": 1}')) is dict
