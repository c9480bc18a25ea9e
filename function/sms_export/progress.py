"""How far a run has come, for whoever watches (the command line's progress bar).

The function itself watches nothing: `Silent` is the default.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

from sms_export.core.models import BatchResult

T = TypeVar("T")


class Progress(Protocol):
    def row_read(self) -> None: ...

    def batches_planned(self, count: int) -> None: ...

    def batch_done(self, result: BatchResult) -> None: ...


class Silent:
    def row_read(self) -> None:
        pass

    def batches_planned(self, count: int) -> None:
        pass

    def batch_done(self, result: BatchResult) -> None:
        pass


def counted(rows: Iterable[T], progress: Progress) -> Iterator[T]:
    for row in rows:
        progress.row_read()
        yield row
