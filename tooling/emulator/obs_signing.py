"""OBS's own V2 header signature, verified as OBS documents it
(https://support.huaweicloud.com/intl/en-us/api-obs/obs_04_0010.html), not as any SDK
computes it:

    StringToSign = VERB \\n Content-MD5 \\n Content-Type \\n Date \\n
                   CanonicalizedHeaders CanonicalizedResource
    Authorization: OBS <AccessKeyID>:Base64(HMAC-SHA1(SK, UTF-8(StringToSign)))

CanonicalizedHeaders are the `x-obs-*` headers, names lower-cased, sorted, `name:value\\n`
each (a temporary token is one: `x-obs-security-token`); CanonicalizedResource is
`/bucket/object` as the request addressed it, then the sub-resources in the query, sorted.
When `x-obs-date` is sent, the Date line is empty and `x-obs-date` is signed among the
headers. Date is an RFC 1123 date within 15 minutes of the server's clock.

One departure, decided openly: Huawei's v3 OBS SDK (`huaweicloudsdkobs`, which the
function uses) sends `Date` as `Mon Jun 02 2025 10:00:00 GMT`, not RFC 1123, in every
request. The emulator accepts that form too (`SDK_DATE_FORMAT`); a test shows the SDK
sends it. Whether live OBS accepts it is unverified here (no network); the SDK is
Huawei's own and every request it makes depends on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from emulator.exceptions import SignatureRejected
from emulator.signing import SignedRequest

MAX_CLOCK_SKEW = timedelta(minutes=15)
RFC_1123 = "%a, %d %b %Y %H:%M:%S GMT"
SDK_DATE_FORMAT = "%a %b %d %Y %H:%M:%S GMT"
_AUTHORIZATION = re.compile(r"^OBS ([^:\s]+):([A-Za-z0-9+/=]+)$")
# The sub-resources OBS signs (the documentation's table), and every response-* override.
SUB_RESOURCES = {
    "acl", "append", "attname", "backtosource", "cors", "customdomain", "delete",
    "deletebucket", "directcoldaccess", "encryption", "inventory", "length", "lifecycle",
    "location", "logging", "metadata", "modify", "name", "notification", "partNumber",
    "policy", "position", "quota", "rename", "replication", "restore", "storageClass",
    "storagePolicy", "storageinfo", "tagging", "torrent", "truncate", "uploadId", "uploads",
    "versionId", "versioning", "versions", "website", "x-image-process",
    "x-image-save-bucket", "x-image-save-object", "x-obs-security-token",
}  # fmt: skip


def canonical_resource(bucket: str, path: str, query: str) -> str:
    resource = f"/{bucket}{path}" if path != "/" else f"/{bucket}/"
    signed = sorted(
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name in SUB_RESOURCES or name.startswith("response-")
    )
    if not signed:
        return resource
    return resource + "?" + "&".join(f"{name}={value}" if value else name for name, value in signed)


def string_to_sign(request: SignedRequest, bucket: str) -> str:
    headers = request.headers
    obs_headers = sorted(
        (name, " ".join(value.split()))
        for name, value in headers.items()
        if name.startswith("x-obs-")
    )
    date = "" if "x-obs-date" in headers else headers.get("date", "")
    lines = [
        request.method.upper(),
        headers.get("content-md5", ""),
        headers.get("content-type", ""),
        date,
    ]
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in obs_headers)
    return (
        "\n".join(lines)
        + "\n"
        + canonical_headers
        + canonical_resource(bucket, request.path, request.query)
    )


def parse_date(value: str) -> datetime | None:
    """An RFC 1123 date, or the v3 SDK's own form (the one departure above)."""
    for form in (RFC_1123, SDK_DATE_FORMAT):
        try:
            return datetime.strptime(value, form).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def verify(
    request: SignedRequest,
    bucket: str,
    secret_keys: Mapping[str, str],
    now: datetime | None = None,
) -> str:
    """Return the access key that signed `request`, or raise SignatureRejected."""
    match = _AUTHORIZATION.match(request.headers.get("authorization", ""))
    if not match:
        raise SignatureRejected("AccessDenied", "Missing or malformed OBS Authorization header")
    access_key, received = match.groups()
    date = request.headers.get("x-obs-date") or request.headers.get("date", "")
    signed_at = parse_date(date)
    if signed_at is None:
        raise SignatureRejected(
            "AccessDenied",
            "OBS authentication requires a valid Date or x-obs-date header",
            access_key,
        )
    if abs((now or datetime.now(timezone.utc)) - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureRejected(
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large",
            access_key,
        )
    secret_key = secret_keys.get(access_key)
    if secret_key is None:
        raise SignatureRejected(
            "InvalidAccessKeyId", "The access key Id you provided does not exist", access_key
        )
    digest = hmac.new(
        secret_key.encode("utf-8"), string_to_sign(request, bucket).encode("utf-8"), hashlib.sha1
    ).digest()
    if not hmac.compare_digest(base64.b64encode(digest).decode("ascii"), received):
        raise SignatureRejected(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided",
            access_key,
        )
    return access_key
