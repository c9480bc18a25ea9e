"""Progress of an export: a live bar on a terminal, plain log lines anywhere else."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sms_export.core.models import BatchResult

PLAIN_ROW_STEP = 10_000


class Watch:
    """Implements sms_export.progress.Progress for one file."""

    def __init__(self, name: str, console: Console) -> None:
        self.name = name
        self.console = console
        self.rows = 0
        self.batches = 0
        self.planned = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._bar: Progress | None = None
        if console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            self._task = self._bar.add_task(f"{name}: reading", total=None, detail="")

    def __enter__(self) -> Watch:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def row_read(self) -> None:
        self.rows += 1
        if self._bar is not None:
            if self.rows % 500 == 0:
                self._bar.update(self._task, detail=f"{self.rows:,} rows read")
        elif self.rows % PLAIN_ROW_STEP == 0:
            self.console.print(f"{self.name}: {self.rows:,} rows read", highlight=False)

    def batches_planned(self, count: int) -> None:
        self.planned = count
        if self._bar is not None:
            self._bar.update(
                self._task,
                description=f"{self.name}: exporting",
                total=count,
                completed=0,
                detail=f"{self.rows:,} rows read",
            )
        else:
            self.console.print(
                f"{self.name}: {self.rows:,} rows read, {count} batches to export", highlight=False
            )

    def batch_done(self, result: BatchResult) -> None:
        with self._lock:
            self.batches += 1
            self.bytes += result.bytes or 0
            if self._bar is not None:
                self._bar.update(
                    self._task,
                    completed=self.batches,
                    detail=f"{self.bytes / 1e6:.1f} MB downloaded",
                )
                return
            label = f"{result.index}" + (f"-{result.part}" if result.part else "")
            note: str = "resumed" if result.resumed else result.status
            if result.error_code:
                note += f" ({result.error_code})"
            self.console.print(
                f"{self.name}: batch {label}: {note}, {self.batches}/"
                f"{self.planned} done, {self.bytes:,} bytes downloaded",
                highlight=False,
            )
