"""JSON as it enters the function (event bodies, messages, files), with a depth limit: the
standard parser recurses, so a body nested thousands of levels deep would raise
RecursionError from wherever it is parsed or walked. Nothing the function accepts is nested
more than a few levels."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class RepeatedKeys(dict[str, Any]):
    """An object that names a key more than once: json keeps the last value silently, so
    which one was meant is unknown. `repeated` lists those keys."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    keys = [key for key, _ in pairs]
    marked = RepeatedKeys(found)
    marked.repeated = tuple(sorted({key for key in keys if keys.count(key) > 1}))
    return marked


class TooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels")


def loads(text: str | bytes) -> Any:
    """json.loads, raising TooDeep (a ValueError, like JSONDecodeError) past MAX_DEPTH."""
    try:
        value = json.loads(text, object_pairs_hook=_object)
    except RecursionError:
        raise TooDeep from None
    check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """Raise TooDeep if containers nest past MAX_DEPTH; iterative, so any depth is safe."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
