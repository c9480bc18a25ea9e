"""SDK-HMAC-SHA256 verification, as the Huawei API gateway performs it.

The canonical request is rebuilt from what arrived on the wire, never from what the
client meant to send, so a test passes only when the real SDK signs correctly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote, unquote

from emulator.exceptions import SignatureRejected

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = timedelta(minutes=15)
_AUTHORIZATION = re.compile(
    rf"^{ALGORITHM} Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$"
)
_EMPTY_BODY_HASH = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # names lower-cased, values as received
    body: bytes


def canonical_uri(path: str) -> str:
    encoded = "/".join(quote(segment, safe="~") for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


def _header_value(raw: str) -> str:
    # http.server decodes header bytes as latin-1; the SDK sent UTF-8.
    try:
        return raw.encode("latin-1").decode("utf-8").strip()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw.strip()


def canonical_request(request: SignedRequest, signed_headers: list[str]) -> str:
    headers = "".join(
        f"{name}:{_header_value(request.headers.get(name, ''))}\n" for name in signed_headers
    )
    content_hash = request.headers.get("x-sdk-content-sha256")
    if not request.body:
        payload_hash = _EMPTY_BODY_HASH
    elif content_hash:
        payload_hash = content_hash
    else:
        payload_hash = hashlib.sha256(request.body).hexdigest()
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.path),
            canonical_query(request.query),
            headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def signature(secret_key: str, date: str, canonical: str) -> str:
    string_to_sign = "\n".join(
        [ALGORITHM, date, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    return hmac.new(
        secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def verify(
    request: SignedRequest, secret_keys: Mapping[str, str], now: datetime | None = None
) -> str:
    """Return the access key that signed `request`, or raise SignatureRejected."""
    match = _AUTHORIZATION.match(request.headers.get("authorization", ""))
    if not match:
        raise SignatureRejected(
            "APIGW.0301",
            "Incorrect IAM authentication information: missing or malformed Authorization header",
        )
    access_key, signed, received_signature = match.groups()
    date = request.headers.get("x-sdk-date", "")
    try:
        signed_at = datetime.strptime(date, DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise SignatureRejected(
            "APIGW.0303",
            "Incorrect app authentication information: X-Sdk-Date is missing or malformed",
            access_key,
        ) from None
    if abs((now or datetime.now(timezone.utc)) - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureRejected(
            "APIGW.0303",
            "Incorrect app authentication information: X-Sdk-Date is more than 15 minutes off",
            access_key,
        )
    secret_key = secret_keys.get(access_key)
    if secret_key is None:
        raise SignatureRejected(
            "APIGW.0301",
            "Incorrect IAM authentication information: "
            f"Get secretKey failed,ak:{access_key},err:ak not exist",
            access_key,
        )
    expected = signature(secret_key, date, canonical_request(request, signed.split(";")))
    if not hmac.compare_digest(expected, received_signature):
        raise SignatureRejected(
            "APIGW.0301",
            "Incorrect IAM authentication information: verify aksk signature fail",
            access_key,
        )
    return access_key
