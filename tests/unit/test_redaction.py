"""A secret is hidden however an error quotes it: escaped, repr'd, URL-encoded, cut short."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest

from sms_export.core.redaction import MIN_PREFIX, REDACTED, redact

# A secret key as Terraform's file() reads it, one with a newline pasted inside, and one
# with every character a URL or a JSON document changes.
SECRETS = [
    "hwTestSecretKey+9f1c2e7a4b/DoNotLeak\n",
    "HWTESTACC\nESSKEY0001",
    'tok/en+with=sp ace"quote\\back\tslash\u00e9',
]


def header(secret: str) -> str:
    return f"SDK-HMAC-SHA256 Access={secret}, SignedHeaders=host"


QUOTED: dict[str, Callable[[str], str]] = {
    "as is": lambda s: f"refused: {s}",
    "repr'd, as requests quotes a header": lambda s: (
        f"Invalid return character(s) in header value: {header(s)!r}"
    ),
    "JSON-escaped": lambda s: json.dumps({"error": header(s)}),
    "JSON-escaped, not ASCII-escaped": lambda s: json.dumps({"e": s}, ensure_ascii=False),
    "repr'd inside JSON": lambda s: json.dumps({"error": repr(header(s))}),
    "unicode_escape": lambda s: "bad " + s.encode("unicode_escape").decode("ascii"),
    "quote": lambda s: f"https://iam.example.com/?key={quote(s)}",
    "quote, nothing safe": lambda s: f"GET /?key={quote(s, safe='')}&x=1",
    "quote_plus": lambda s: f"key={quote_plus(s)}&x=1",
    "quote_plus, nothing safe": lambda s: f"key={quote_plus(s, safe='')}",
    "cut at the end": lambda s: f"header value: {header(s)!r}"[: len("header value: ") + 40],
    "cut, then an ellipsis": lambda s: repr(s)[1:13] + "…",
    "cut, then a quote": lambda s: f"'{s[:10]}' and more",
}


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("how", sorted(QUOTED))
def test_a_secret_is_hidden_however_an_error_quotes_it(secret: str, how: str) -> None:
    message = QUOTED[how](secret)
    hidden = redact({"batches": [{"error_msg": message}]}, [secret])["batches"][0]["error_msg"]
    assert REDACTED in hidden
    for form in (secret, repr(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)):
        assert form[:MIN_PREFIX] not in hidden, (how, hidden)


def test_what_is_around_a_secret_is_kept() -> None:
    secret = SECRETS[1]
    message = f"Invalid header value: {header(secret)!r}"
    assert redact(message, [secret]) == (
        f"Invalid header value: 'SDK-HMAC-SHA256 Access={REDACTED}, SignedHeaders=host'"
    )


def test_short_beginnings_and_short_secrets_are_not_hidden_everywhere() -> None:
    secret = "abcdefghijklmnop"
    text = "abcdefg is 7 of its characters; abcdefgh is 8"
    assert redact(text, [secret]) == f"abcdefg is 7 of its characters; {REDACTED} is 8"
    # A secret shorter than the minimum is hidden whole only, never by its beginning.
    assert redact("ab12 and ab1", ["ab12"]) == f"{REDACTED} and ab1"
    assert redact("nothing to hide here", [secret]) == "nothing to hide here"
