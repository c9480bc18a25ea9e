"""OBS through Huawei's own OBS SDK (`huaweicloudsdkobs`, on the core the SMS SDK already
loads): what FunctionGraph reads its uploads from and stores its exports in, without boto3.

It signs with OBS's own signature and `x-obs-security-token` (the agency's temporary
credentials), addresses buckets as virtual hosts, streams downloads, and lists with
ListObjects (v1, with a marker), which parallel file system buckets support too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any

from sms_export.adapters.huaweisdk import build_client
from sms_export.adapters.storage_faults import failed, may_clear_up, unreadable
from sms_export.core import times
from sms_export.core.models import CHUNK_SIZE, HuaweiCredentials
from sms_export.core.ports import Listed, StoredExport, StoredObject

LIST_PAGE = 1000  # ListObjects' most
_XML_CODE = re.compile(r"<Code>([^<]+)</Code>")


class _Upload(io.BytesIO):
    """What PutObject accepts: a file-like object opened "rb" (the SDK checks `mode`)."""

    mode = "rb"


def obs_code(error: Exception) -> str:
    """OBS's own error code: the SDK keeps only the HTTP status, and the XML as the message."""
    found = _XML_CODE.search(str(getattr(error, "error_msg", "") or ""))
    if found:
        return found.group(1)
    status = getattr(error, "status_code", None)
    return str(status) if status else type(error).__name__


class ObsStorage:
    """Reads inputs and writes exports on OBS; the client is made on first use."""

    scheme = "obs"

    def __init__(self, endpoint: str, credentials: HuaweiCredentials) -> None:
        self._endpoint = endpoint
        self._credentials = credentials

    @cached_property
    def client(self) -> Any:
        from huaweicloudsdkobs.v1 import ObsClient
        from huaweicloudsdkobs.v1.obs_credentials import ObsCredentials

        credentials = self._credentials
        token = credentials.security_token
        signer = ObsCredentials(
            credentials.access_key.get_secret_value(),
            credentials.secret_key.get_secret_value(),
            token.get_secret_value() if token else None,
        )
        return build_client(ObsClient, credentials, [self._endpoint], (10.0, 60.0), signer=signer)

    def uri(self, bucket: str, key: str) -> str:
        return f"obs://{bucket}/{key}"

    def open(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject:
        """Stream an object; it is never read whole into memory."""
        from huaweicloudsdkobs.v1 import GetObjectRequest

        uri = self.uri(bucket, key)
        request = GetObjectRequest(bucket_name=bucket, object_key=key, version_id=version_id)
        received: list[Any] = []
        try:
            response = self.client.get_object(request)
            response.consume_download_stream(received.append)  # the raw requests.Response
        except Exception as error:  # the SDK's and requests' errors alike
            raise _unreadable(uri, error) from None
        (raw,) = received

        def chunks() -> Iterator[bytes]:
            try:
                yield from raw.iter_content(CHUNK_SIZE)
            except OSError as error:
                raise _unreadable(uri, error) from None
            finally:
                raw.close()

        revision = response.x_obs_version_id or (response.e_tag or "").strip('"') or None
        return StoredObject.streamed(chunks(), raw.headers.get("Content-Type"), revision)

    def put(
        self,
        bucket: str,
        key: str,
        chunks: Iterable[bytes],
        content_type: str,
        filename: str | None,
    ) -> StoredExport:
        """Store the whole content or nothing: it is gathered first, so a download cut
        midway never becomes an object. (The SDK's PutObject sets no Content-Type.)"""
        from huaweicloudsdkobs.v1 import PutObjectRequest

        uri = self.uri(bucket, key)
        upload = _Upload(b"".join(chunks))
        size = len(upload.getbuffer())
        try:
            self.client.put_object(
                PutObjectRequest(stream=upload, bucket_name=bucket, object_key=key)
            )
        except Exception as error:  # the SDK's and requests' errors alike
            raise _failed("StorageWriteFailed", f"Cannot store {uri}", error) from None
        return StoredExport(uri, size, content_type, filename)

    def list(self, bucket: str, prefix: str) -> dict[str, Listed]:
        """Every key under `prefix`, its size and when it was stored: ListObjects pages, by
        marker."""
        from huaweicloudsdkobs.v1 import ListObjectsRequest

        found: dict[str, Listed] = {}
        marker = None
        while True:
            request = ListObjectsRequest(
                bucket_name=bucket, prefix=prefix, marker=marker, max_keys=LIST_PAGE
            )
            try:
                page = self.client.list_objects(request)
            except Exception as error:  # the SDK's and requests' errors alike
                where = f"Cannot list {self.uri(bucket, prefix)}"
                raise _failed("StorageListFailed", where, error) from None
            contents = page.contents or []
            for item in contents:
                modified = times.parse_iso(item.last_modified)
                stamp = modified.timestamp() if modified else None
                found[item.key] = Listed(int(item.size or 0), stamp)
            if not page.is_truncated or not contents:
                return found
            marker = page.next_marker or contents[-1].key


def _failed(code: str, what: str, error: Exception) -> Exception:
    cause = obs_code(error)
    return failed(code, what, cause, may_clear_up(cause))


def _unreadable(uri: str, error: Exception) -> Exception:
    # A missing object may yet appear (the event can outrun the listing): worth a retry.
    code = obs_code(error)
    return unreadable(uri, code, may_clear_up(code))
