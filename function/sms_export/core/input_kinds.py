"""The kinds of input an event carries: triples, a file, an object in storage, a discovery
request, or a message that can never succeed. Each kind owns how the outcome names it and
where its exports go by default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sms_export.core.errors import InputError

Event = Mapping[str, Any]


def records(event: Event, key: str = "Records") -> list[Any]:
    """What many events carry their messages or notifications in; none when it is not a list."""
    found = event.get(key)
    return found if isinstance(found, list) else []


class _Carried:
    """What every input kind answers the same way unless it is an object in storage."""

    def uri(self, scheme: str) -> str:
        """How the outcome names the input."""
        return "inline"

    def home_bucket(self) -> str | None:
        """Where its exports go when EXPORT_BUCKET is not set."""
        return None

    def why_ignored(self, export_prefix: str, input_prefix: str) -> str | None:
        """Why this input is none of the function's business, or None."""
        return None


@dataclass(frozen=True)
class InlineInput(_Carried):
    """Triples carried by the event itself."""

    items: list[Any]
    origin: str | None = None  # the message it came in, for triggers that redeliver


@dataclass(frozen=True)
class DocumentInput(_Carried):
    """A file carried by the event itself (an HTTP body): CSV, JSON Lines, xlsx, gzip…"""

    content: bytes
    content_type: str | None = None
    origin: str | None = None
    name: str | None = None  # a file's name, when there is one: it also tells the format

    def uri(self, scheme: str) -> str:
        return self.name or "inline"


@dataclass(frozen=True)
class ObjectInput(_Carried):
    """A file in object storage (S3, or OBS)."""

    bucket: str
    key: str  # decoded
    etag: str | None = None
    version_id: str | None = None
    origin: str | None = None

    def uri(self, scheme: str) -> str:
        return f"{scheme}://{self.bucket}/{self.key}"

    def home_bucket(self) -> str | None:
        return self.bucket

    def why_ignored(self, export_prefix: str, input_prefix: str) -> str | None:
        # The function's own files land in the bucket too, and must not start it again.
        if self.key.startswith(export_prefix):
            return f"the object is under EXPORT_PREFIX ({export_prefix})"
        if not self.key.startswith(input_prefix):
            return f"the object is outside INPUT_PREFIX ({input_prefix})"
        return None


@dataclass(frozen=True)
class DiscoveryInput(_Carried):
    """Export whatever ListServers finds; `filters` None means the configured default."""

    filters: Mapping[str, Any] | None = None
    origin: str | None = None

    def uri(self, scheme: str) -> str:
        return "discovery"


@dataclass(frozen=True)
class UnusableInput(_Carried):
    """A message that can never succeed (not JSON, nothing recognisable): reported, not retried."""

    error: InputError
    origin: str | None = None


Input = InlineInput | DocumentInput | ObjectInput | DiscoveryInput | UnusableInput
