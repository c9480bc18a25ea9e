"""Secrets out of everything that leaves the process: outcomes, notifications, log lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

REDACTED = "***"
Model = TypeVar("Model", bound=BaseModel)


def _hidden(secrets: Iterable[str]) -> list[str]:
    # Longest first: a secret that contains another is replaced whole.
    return sorted({secret for secret in secrets if secret}, key=len, reverse=True)


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """Replace every secret inside strings of a JSON-like value, however deep."""
    hidden = _hidden(secrets)
    if not hidden:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for secret in hidden:
                item = item.replace(secret, REDACTED)
            return item
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        return item

    return walk(value)


def redacted(model: Model, secrets: Iterable[str]) -> Model:
    """The same model with every secret replaced; the model itself when there is none."""
    hidden = _hidden(secrets)
    if not hidden:
        return model
    return type(model).model_validate(redact(model.model_dump(mode="json"), hidden))
