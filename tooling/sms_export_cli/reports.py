"""What the command line prints: file checks and export summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sms_export.core.batching import unique
from sms_export.core.errors import InputError
from sms_export.core.models import IdFormat, Outcome, Rejection, Triple
from sms_export.core.readers import Limits, Tally, read_rows
from sms_export.core.validation import check_rows


@dataclass
class FileReport:
    """What the function would say about a file's rows, without exporting anything."""

    file: str
    rows: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    error: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows": self.rows,
            "error": self.error,
            "rejected": [{"row": r.row, "reason": r.reason} for r in self.rejected],
        }


def check_file(path: Path, limits: Limits, id_format: IdFormat) -> FileReport:
    report = FileReport(str(path))
    tally = Tally()
    try:
        with path.open("rb") as stream:
            rows = read_rows(stream, path.name, limits=limits, tally=tally)
            checked = check_rows(rows, id_format)
    except InputError as error:
        report.error = {"code": error.code, "message": error.message}
        return report
    except OSError as error:
        report.error = {"code": "UnreadableFile", "message": f"{path}: {error.strerror}"}
        return report
    _, duplicates = unique(checked.valid)
    report.rejected = checked.rejected
    report.rows = {
        "received": len(checked.valid) + len(checked.rejected),
        "valid": len(checked.valid),
        "rejected": len(checked.rejected),
        "duplicates": duplicates,
        "blank": tally.blank,
        "comments": tally.comments,
        "headers": tally.headers,
    }
    return report


def show(report: FileReport, console: Console) -> None:
    name = escape(report.file)
    if report.error:
        console.print(
            f"[bold red]✗ {name}[/]: {escape(report.error['message'])} "
            f"[dim]({report.error['code']})[/]"
        )
        return
    rows = report.rows
    mark = "[bold yellow]![/]" if report.rejected else "[bold green]✓[/]"
    console.print(
        f"{mark} [bold]{name}[/]: {rows['valid']} valid, {rows['rejected']} "
        f"rejected, {rows['duplicates']} duplicates, {rows['blank']} blank, "
        f"{rows['comments']} comments"
    )
    if report.rejected:
        table = Table("row", "reason", show_edge=False)
        for rejection in report.rejected:
            table.add_row(str(rejection.row), escape(rejection.reason))
        console.print(table)


def summary(outcomes: list[tuple[Path, Outcome]], console: Console) -> None:
    """One row per file, as the outcome tells it."""
    table = Table("file", "status", "exported", "rejected", "batches", "exports", show_edge=False)
    for path, outcome in outcomes:
        rows = outcome.rows
        done = len(outcome.batches) - len(outcome.unfinished)
        colour = {"succeeded": "green", "partial": "yellow"}.get(outcome.status, "red")
        if outcome.error is not None:
            where = f"{outcome.error.code}: {outcome.error.message}"
        else:
            where = (outcome.stored_outcome or "").rsplit("/", 1)[0]
        table.add_row(
            escape(str(path)),
            f"[{colour}]{outcome.status}[/]",
            f"{rows.exported}/{rows.valid - rows.duplicates}",
            str(rows.rejected),
            f"{done}/{len(outcome.batches)}",
            escape(where),
        )
    console.print(table)


VERDICT_COLOURS = {"inconsistent": "red", "unknown": "yellow", "consistent": "green"}
VERDICTS_SHOWN = 50  # sources listed, the worst first; the report lists them all


def verdicts(outcomes: list[tuple[Path, Outcome]], console: Console) -> None:
    """Which sources differ: the verdict table, the worst first."""
    table = Table(
        "source",
        "verdict",
        "different",
        "missing",
        "extra",
        "checked at",
        "reason",
        show_edge=False,
    )
    shown = listed = 0
    for _, outcome in outcomes:
        summary = outcome.consistency
        if summary is None:
            continue
        listed += len(summary.sources)
        for source in summary.sources[: VERDICTS_SHOWN - shown]:
            shown += 1
            colour = VERDICT_COLOURS[source.verdict]
            table.add_row(
                escape(source.source_name),
                f"[{colour}]{source.verdict}[/]",
                *(
                    "" if count is None else str(count)
                    for count in (source.different_files, source.missing_files, source.extra_files)
                ),
                source.checked_at or "",
                escape(source.reason or ""),
            )
    if not listed:
        return
    console.print(table)
    totals = [outcome.consistency for _, outcome in outcomes if outcome.consistency]
    differ = sum(summary.inconsistent for summary in totals)
    unknown = sum(summary.unknown for summary in totals)
    more = f" (the first {shown} shown; see report.html)" if shown < listed else ""
    console.print(f"{differ} of {listed} sources differ, {unknown} unknown{more}")


def valid_triples(path: Path, limits: Limits, id_format: IdFormat) -> list[Triple]:
    with path.open("rb") as stream:
        rows = read_rows(stream, path.name, limits=limits)
        triples, _ = unique(check_rows(rows, id_format).valid)
    return triples
