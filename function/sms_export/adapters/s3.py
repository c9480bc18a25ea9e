"""S3 through boto3: reads inputs and writes exports; boto3 is imported on first use (it
is the heaviest import of the function, and a run that fails early needs none of it)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sms_export.adapters.storage_faults import failed, may_clear_up, unreadable
from sms_export.core.models import CHUNK_SIZE
from sms_export.core.ports import ChunkReader, Listed, StoredExport, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def _content_disposition(filename: str | None) -> dict[str, str]:
    if not filename or not filename.isascii():
        return {}
    return {"ContentDisposition": f'attachment; filename="{filename}"'}


def _unreadable(uri: str, error: Exception) -> Exception:
    answered = getattr(error, "response", None) is not None
    code = _error_code(error)
    return unreadable(uri, code, may_clear_up(code, answered, only_store_faults=True))


def _failed(code: str, what: str, error: Exception) -> Exception:
    cause = _error_code(error)
    return failed(code, what, cause, may_clear_up(cause))


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def make_s3_client() -> S3Client:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries={"mode": "standard"}))


def _stream_uploads() -> Any:
    """A stream goes up in parts held in memory: the smallest S3 takes (5 MB), one at a
    time, instead of 8 MB parts read ahead by ten threads."""
    from boto3.s3.transfer import TransferConfig

    part = 5 * 1024 * 1024
    return TransferConfig(multipart_threshold=part, multipart_chunksize=part, use_threads=False)


class S3Storage:
    """S3 through boto3: reads inputs and writes exports; the client is made on first use
    (boto3 is heavy)."""

    scheme = "s3"

    @cached_property
    def client(self) -> S3Client:
        return make_s3_client()

    def uri(self, bucket: str, key: str) -> str:
        return f"{self.scheme}://{bucket}/{key}"

    def open(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject:
        """Stream an object; it is never read whole into memory."""
        from botocore.exceptions import BotoCoreError, ClientError

        uri = self.uri(bucket, key)
        try:
            response = (
                self.client.get_object(Bucket=bucket, Key=key, VersionId=version_id)
                if version_id
                else self.client.get_object(Bucket=bucket, Key=key)
            )
        except (ClientError, BotoCoreError) as error:
            raise _unreadable(uri, error) from None

        def chunks() -> Iterator[bytes]:
            try:
                yield from response["Body"].iter_chunks(CHUNK_SIZE)
            except (BotoCoreError, OSError) as error:
                raise _unreadable(uri, error) from None

        revision = response.get("VersionId") or response.get("ETag", "").strip('"') or None
        return StoredObject.streamed(chunks(), response.get("ContentType"), revision)

    def list(self, bucket: str, prefix: str) -> dict[str, Listed]:
        """Every key under `prefix`, its size and when it was stored."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix
            )
            return {
                item["Key"]: Listed(item["Size"], item["LastModified"].timestamp())
                for page in pages
                for item in page.get("Contents", [])
            }
        except (ClientError, BotoCoreError) as error:
            raise _failed(
                "StorageListFailed", f"Cannot list {self.uri(bucket, prefix)}", error
            ) from None

    def put(
        self,
        bucket: str,
        key: str,
        chunks: Iterable[bytes],
        content_type: str,
        filename: str | None,
    ) -> StoredExport:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        reader = ChunkReader(chunks)
        try:
            self.client.upload_fileobj(
                io.BufferedReader(reader, CHUNK_SIZE),
                bucket,
                key,
                ExtraArgs={"ContentType": content_type, **_content_disposition(filename)},
                Config=_stream_uploads(),
            )
        except (ClientError, BotoCoreError, S3UploadFailedError) as error:
            raise _failed(
                "StorageWriteFailed", f"Cannot store {self.uri(bucket, key)}", error
            ) from None
        return StoredExport(self.uri(bucket, key), reader.bytes_read, content_type, filename)
