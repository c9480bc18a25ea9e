"""Object storage (S3, or OBS through its S3-compatible API) and the local export folder."""

from __future__ import annotations

import errno
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from sms_export.core.errors import CallFailed, InputError
from sms_export.core.models import CHUNK_SIZE

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class StoredExport:
    uri: str
    bytes: int
    content_type: str | None
    filename: str | None
    request_id: str | None = None  # of the export call that produced the file


class ExportStore(Protocol):
    def put(
        self, key: str, chunks: Iterable[bytes], content_type: str, filename: str | None
    ) -> StoredExport: ...

    def existing(self, prefix: str) -> dict[str, StoredExport]:
        """What is already stored under `prefix`: the checkpoint of earlier runs."""
        ...

    def open(self, key: str) -> StoredObject:
        """A stored export, streamed (to merge the exports into one file)."""
        ...


class Storage(Protocol):
    """An object store: S3 through boto3 (ObjectStorage), or OBS through its own SDK."""

    scheme: str

    def uri(self, bucket: str, key: str) -> str: ...

    def open(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject: ...

    def put(
        self,
        bucket: str,
        key: str,
        chunks: Iterable[bytes],
        content_type: str,
        filename: str | None,
    ) -> StoredExport: ...

    def list(self, bucket: str, prefix: str) -> dict[str, int]: ...


class ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks, counting what passed through."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.bytes_read += size
        return size


def _content_disposition(filename: str | None) -> dict[str, str]:
    if not filename or not filename.isascii():
        return {}
    return {"ContentDisposition": f'attachment; filename="{filename}"'}


@dataclass(frozen=True)
class StoredObject:
    """An input object being read."""

    stream: BinaryIO
    content_type: str | None
    revision: str | None  # version id, else ETag: a re-upload with new content differs

    @classmethod
    def streamed(
        cls, chunks: Iterable[bytes], content_type: str | None, revision: str | None
    ) -> StoredObject:
        """An object whose content arrives as chunks, read as a buffered stream."""
        return cls(io.BufferedReader(ChunkReader(chunks), CHUNK_SIZE), content_type, revision)

    def __enter__(self) -> StoredObject:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stream.close()


TRANSIENT_OS_ERRORS = {errno.ENOSPC, errno.EIO, errno.EAGAIN, errno.EBUSY, errno.EDQUOT}
TRANSIENT_STORAGE_ERRORS = {
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "Throttling",
    "ThrottlingException",
    "503",
    "500",
}


# Refused before any request, or for the request itself: no later try can succeed.
PERMANENT_STORAGE_ERRORS = {
    "ParamValidationError",  # botocore's own check: an invalid bucket name, say
    "InvalidBucketName",
    "KeyTooLongError",
}


def _transient(error: Exception) -> bool:
    code = _error_code(error)
    if code in PERMANENT_STORAGE_ERRORS:
        return False
    # A response-less error (connection, timeout, cut stream) is worth another try.
    return code in TRANSIENT_STORAGE_ERRORS or getattr(error, "response", None) is None


def _unreadable(uri: str, error: Exception) -> InputError:
    return InputError(
        "InputUnreadable", f"Cannot read {uri}: {_error_code(error)}", retryable=_transient(error)
    )


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


class ObjectStorage:
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

    def list(self, bucket: str, prefix: str) -> dict[str, int]:
        """Every key under `prefix` and its size."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix
            )
            return {
                item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])
            }
        except (ClientError, BotoCoreError) as error:
            raise CallFailed(
                "StorageListFailed",
                f"Cannot list {self.uri(bucket, prefix)}: {_error_code(error)}",
                retryable=True,
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
            # A missing bucket or a refused permission may be fixed before the retry.
            raise CallFailed(
                "StorageWriteFailed",
                f"Cannot store {self.uri(bucket, key)}: {_error_code(error)}",
                retryable=_error_code(error) not in PERMANENT_STORAGE_ERRORS,
            ) from None
        return StoredExport(self.uri(bucket, key), reader.bytes_read, content_type, filename)


@dataclass(frozen=True)
class BucketExports:
    storage: Storage
    bucket: str

    def put(
        self, key: str, chunks: Iterable[bytes], content_type: str, filename: str | None
    ) -> StoredExport:
        return self.storage.put(self.bucket, key, chunks, content_type, filename)

    def open(self, key: str) -> StoredObject:
        return self.storage.open(self.bucket, key)

    def existing(self, prefix: str) -> dict[str, StoredExport]:
        return {
            key: StoredExport(self.storage.uri(self.bucket, key), size, "", None)
            for key, size in self.storage.list(self.bucket, prefix).items()
        }


@dataclass(frozen=True)
class FolderExports:
    directory: Path

    def open(self, key: str) -> StoredObject:
        try:
            return StoredObject((self.directory / key).open("rb"), None, None)
        except OSError as error:
            raise _unreadable(str(self.directory / key), error) from None

    def existing(self, prefix: str) -> dict[str, StoredExport]:
        folder = self.directory / prefix
        if not folder.is_dir():
            return {}
        return {
            path.relative_to(self.directory).as_posix(): StoredExport(
                path.resolve().as_uri(), path.stat().st_size, "", None
            )
            for path in folder.iterdir()
            if path.is_file() and not path.name.startswith(".")
        }

    def put(
        self, key: str, chunks: Iterable[bytes], content_type: str, filename: str | None
    ) -> StoredExport:
        target = self.directory / key
        if not target.resolve().is_relative_to(self.directory.resolve()):
            raise CallFailed(
                "StorageWriteFailed", f"{key} would be outside EXPORT_DIR", retryable=False
            )
        size = 0
        temporary: Path | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename: a half-written file never looks exported.
            descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
            temporary = Path(name)
            with os.fdopen(descriptor, "wb") as file:
                for chunk in chunks:
                    file.write(chunk)
                    size += len(chunk)
            os.replace(temporary, target)
        except BaseException as error:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            if isinstance(error, OSError):
                # A full or busy disk may clear up; a bad path or a read-only folder will not.
                transient = error.errno in TRANSIENT_OS_ERRORS
                raise CallFailed(
                    "StorageWriteFailed",
                    f"Cannot write {target}: {error.strerror or error}",
                    retryable=transient,
                ) from None
            raise
        return StoredExport(target.resolve().as_uri(), size, content_type, filename)
