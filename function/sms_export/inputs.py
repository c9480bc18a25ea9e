"""Input → what the flow reads from it: its rows, and what names it for ever (the folder
its exports go to).

One `match` over the input kinds of core/input_kinds.py, which triggers.py makes from
events; a new kind of input is one more case here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sms_export.clients import Clients
from sms_export.core.errors import CallFailed, InputError
from sms_export.core.input_kinds import (
    DiscoveryInput,
    DocumentInput,
    InlineInput,
    Input,
    ObjectInput,
    UnusableInput,
)
from sms_export.core.readers import read_rows
from sms_export.core.rows import Limits, RawRow, Tally, inline_rows
from sms_export.retry import RetryPolicy
from sms_export.settings import Settings


@dataclass(frozen=True)
class Opened:
    rows: Iterator[RawRow]
    # What names the input under EXPORT_PREFIX, for ever: an object's bucket, key and
    # revision (version id, else ETag: a re-upload with new content is exported anew), or
    # the message or request that carried the rows.
    identity: tuple[str, ...]
    # Rows skipped on purpose, counted as the rows are read.
    tally: Tally
    # Why an input with no rows at all is nothing to report as a failure (discovery).
    ignored_when_empty: str | None = None
    # Whether each run is compared with the previous one: the runs of an object's other
    # revisions, or of earlier discoveries, are the identity's siblings.
    compared: bool = False


@contextmanager
def opened(
    source: Input, clients: Clients, settings: Settings, request_id: str
) -> Iterator[Opened]:
    tally = Tally()
    limits = Limits(settings.max_input_bytes, settings.max_rows)
    carrier = source.origin or request_id
    match source:
        case UnusableInput(error=error):
            raise error
        case InlineInput(items=items):
            yield Opened(inline_rows(items), ("inline", carrier), tally)
        case DocumentInput(content=content, content_type=content_type, name=name):
            rows = read_rows(
                io.BytesIO(content),
                name or "the request body",
                content_type=content_type,
                limits=limits,
                tally=tally,
            )
            yield Opened(rows, ("inline", carrier), tally)
        case ObjectInput(bucket=bucket, key=key, version_id=version_id):
            with clients.storage.open(bucket, key, version_id) as stored:
                rows = read_rows(
                    stored.stream, key, content_type=stored.content_type, limits=limits, tally=tally
                )
                identity = (bucket, key, stored.revision or "")
                # (Without a revision, the identity has no siblings to compare with.)
                yield Opened(rows, identity, tally, compared=bool(stored.revision))
        case DiscoveryInput(filters=filters):
            chosen = filters if filters is not None else (settings.discover_filters or {})
            found = discovered(clients, chosen, RetryPolicy.from_settings(settings))
            yield Opened(
                inline_rows(found),
                ("discovery", carrier),
                tally,
                "discovery found no source with consistency results",
                compared=True,
            )


def discovered(
    clients: Clients, filters: Mapping[str, Any], retry: RetryPolicy
) -> list[dict[str, Any]]:
    try:
        return list(clients.sms.list_sources(filters, retry=retry))
    except CallFailed as error:
        raise InputError(
            "DiscoveryFailed",
            f"ListServers failed: {error.code} ({error.message})",
            retryable=error.retryable,
        ) from None
