"""Secrets out of everything that leaves the process: outcomes, notifications, log lines.

An error seldom quotes a secret as it is: the HTTP library that refuses a header with a
newline in it quotes the header `repr`'d (the newline as backslash-n), a JSON document
escapes it, a URL percent-encodes it, and a message cut at a length limit keeps only its
beginning. Each secret is looked for in all of those forms, and so is any beginning of
them at least MIN_PREFIX characters long.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

from pydantic import BaseModel

REDACTED = "***"
Model = TypeVar("Model", bound=BaseModel)

# The shortest beginning of a secret that is hidden on its own. Access keys are 20
# characters, secret keys 40 and tokens hundreds; 8 random characters hide a secret's
# beginning while ordinary words and ids (which never begin like a random key for 8
# characters together) are left alone. A secret shorter than this is only hidden whole.
MIN_PREFIX = 8


def _python_escaped(text: str) -> str:
    return repr(text)[1:-1]  # how exceptions quote values: '\n' as backslash-n


def _json_escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


# How an error may quote a value; each is also applied to the others' results once, as a
# message that quotes an escaped header in a JSON document escapes it twice.
QUOTINGS: tuple[Callable[[str], str], ...] = (
    _python_escaped,
    _json_escaped,
    lambda text: json.dumps(text, ensure_ascii=False)[1:-1],
    lambda text: text.encode("unicode_escape").decode("ascii"),
    lambda text: quote(text, safe=""),
    quote,  # keeps "/"
    lambda text: quote_plus(text, safe=""),
    quote_plus,  # keeps "/"
)


def _forms(secrets: Iterable[str]) -> list[str]:
    """Every form of every secret, longest first: a form that contains another is replaced
    whole."""
    forms: set[str] = set()
    for secret in secrets:
        once = {secret, *(quoting(secret) for quoting in QUOTINGS)}
        forms |= once | {quoting(form) for form in once for quoting in QUOTINGS}
    return sorted((form for form in forms if form), key=len, reverse=True)


def _hidden(secrets: Iterable[str]) -> list[str]:
    return [secret for secret in secrets if secret]


def _scrubbed(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    # What is left can only be a secret cut short: its first MIN_PREFIX characters, then as
    # many more as match. Not only at the very end of the text, as whoever cut it may have
    # added an ellipsis or a closing quote after it.
    for form in forms:
        if len(form) <= MIN_PREFIX:
            continue
        head = form[:MIN_PREFIX]
        start = text.find(head)
        while start != -1:
            end = start + MIN_PREFIX
            while end < len(text) and end - start < len(form) and text[end] == form[end - start]:
                end += 1
            text = text[:start] + REDACTED + text[end:]
            start = text.find(head, start + len(REDACTED))
    return text


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """Replace every secret, in any of its forms, inside strings of a JSON-like value or a
    model, however deep."""
    hidden = _hidden(secrets)
    if not hidden:
        return value
    forms = _forms(hidden)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _scrubbed(item, forms)
        if isinstance(item, BaseModel):
            # Field by field, not through JSON: fields kept out of the outcome's JSON (a
            # rejected row's cells) are scrubbed too, and nothing is validated again.
            fields = type(item).model_fields
            return item.model_copy(update={name: walk(getattr(item, name)) for name in fields})
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        return item

    return walk(value)


def redacted(model: Model, secrets: Iterable[str]) -> Model:
    """The same model with every secret replaced; the model itself when there is none."""
    scrubbed: Model = redact(model, secrets)
    return scrubbed
