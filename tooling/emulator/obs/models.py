"""State and behaviour of the emulated OBS: buckets, objects, listings, and every request
as it arrived (OBS's signature covers headers the tests want to see)."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.exceptions import ApiError
from emulator.signing import SignedRequest


class ObsError(ApiError):
    """An OBS error answer: XML, with OBS's own code."""


@dataclass
class ObsObject:
    data: bytes
    content_type: str
    etag: str


@dataclass
class ObsBucket:
    """A bucket: an object bucket, or a parallel file system ("POSIX", which refuses
    ListObjectsV2, as the function must never need it)."""

    objects: dict[str, ObsObject] = field(default_factory=dict)
    kind: Literal["OBJECT", "POSIX"] = "OBJECT"


class ObsService:
    def __init__(self) -> None:
        self.buckets: dict[str, ObsBucket] = {}
        self.requests: list[dict[str, Any]] = []  # method, bucket, path, query, headers
        self._lock = threading.Lock()

    def record_request(self, request: SignedRequest, bucket: str) -> None:
        entry = {
            "method": request.method,
            "bucket": bucket,
            "path": request.path,
            "query": request.query,
            "headers": dict(request.headers),
        }
        with self._lock:
            self.requests.append(entry)

    def create_bucket(self, name: str, kind: Literal["OBJECT", "POSIX"] = "OBJECT") -> None:
        with self._lock:
            self.buckets[name] = ObsBucket(kind=kind)

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str = "") -> str:
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        with self._lock:
            self._bucket(bucket).objects[key] = ObsObject(data, content_type, etag)
        return etag

    def get_object(self, bucket: str, key: str) -> ObsObject:
        with self._lock:
            found = self._bucket(bucket).objects.get(key)
        if found is None:
            raise ObsError(404, "NoSuchKey", "The specified key does not exist.")
        return found

    def list_objects(
        self, bucket: str, query: Mapping[str, str]
    ) -> tuple[list[tuple[str, ObsObject]], bool, Literal["OBJECT", "POSIX"]]:
        """ListObjects (v1): keys after `marker` under `prefix`, at most `max-keys`; and the
        bucket's kind, which OBS answers in a header."""
        with self._lock:
            found = self._bucket(bucket)
            objects = dict(found.objects)
        if "list-type" in query and found.kind == "POSIX":
            raise ObsError(400, "NotSupported", "ListObjectsV2 is not supported for this bucket")
        limit = int(query.get("max-keys") or 1000)
        if not 1 <= limit <= 1000:
            raise ObsError(400, "InvalidArgument", "max-keys must be 1 to 1000")
        prefix, marker = query.get("prefix", ""), query.get("marker", "")
        keys = sorted(k for k in objects if k.startswith(prefix) and k > marker)
        page = [(key, objects[key]) for key in keys[:limit]]
        return page, len(keys) > limit, found.kind

    def _bucket(self, name: str) -> ObsBucket:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name):
            raise ObsError(400, "InvalidBucketName", "The specified bucket is not valid.")
        if name not in self.buckets:
            raise ObsError(404, "NoSuchBucket", "The specified bucket does not exist.")
        return self.buckets[name]
