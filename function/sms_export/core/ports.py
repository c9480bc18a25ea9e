"""The ports: what the flow needs of the outside world, as small protocols, and the
stored-object types that cross them (pure: the adapters implement these)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple, Protocol

from sms_export.core.models import CHUNK_SIZE, Notification, Outcome


@dataclass(frozen=True)
class StoredExport:
    uri: str
    bytes: int
    content_type: str | None
    filename: str | None
    request_id: str | None = None  # of the export call that produced the file
    key: str | None = None  # where it is in its export store
    modified: float | None = None  # when it was stored, in seconds since 1970 (listings)


class Listed(NamedTuple):
    """One object of a listing."""

    size: int
    modified: float | None  # seconds since 1970


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
    """An object store: S3 through boto3 (adapters/s3.py), or OBS through its own SDK
    (adapters/obs.py)."""

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

    def list(self, bucket: str, prefix: str) -> dict[str, Listed]: ...


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


class Topic(Protocol):
    """Where outcomes are announced (SNS or SMN)."""

    @property
    def topic(self) -> str: ...

    def publish(self, outcome: Outcome) -> Notification: ...


class Publisher(Protocol):
    """Where an outcome's metrics go (CloudWatch through EMF, or Cloud Eye)."""

    def publish(self, outcome: Outcome) -> None: ...


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
            key: StoredExport(
                self.storage.uri(self.bucket, key), size, "", None, key=key, modified=modified
            )
            for key, (size, modified) in self.storage.list(self.bucket, prefix).items()
        }
