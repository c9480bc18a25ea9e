"""The `sms-export` command line."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sms_export.batching import unique
from sms_export.errors import InputError
from sms_export.models import Rejection
from sms_export.readers import Limits, Tally, read_rows
from sms_export.rejects import rejects_csv
from sms_export.settings import Settings
from sms_export.validation import check_rows

app = typer.Typer(
    help="Export Huawei Cloud SMS consistency results, and check input files first.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)

EXIT_REJECTED = 1
EXIT_UNUSABLE = 2


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


def check_file(path: Path, limits: Limits) -> FileReport:
    report = FileReport(str(path))
    tally = Tally()
    try:
        with path.open("rb") as stream:
            checked = check_rows(read_rows(stream, path.name, limits=limits, tally=tally))
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
    }
    return report


def show(report: FileReport) -> None:
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


@app.callback()
def commands() -> None:
    """Export Huawei Cloud SMS consistency results, and check input files first."""


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="CSV, TSV, JSON, JSON Lines or .xlsx files, gzip-compressed or not."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Also write the rejected rows to this CSV file, as the function would."),
    ] = None,
) -> None:
    """Check input files as the function would, without credentials or any call.

    Exits with 0 when every row is valid, 1 when rows are rejected, 2 when a file
    cannot be used at all.

    Example:

        sms-export validate wave-1.csv wave-2.xlsx --rejects rejected.csv
    """
    settings = Settings.load()
    limits = Limits(settings.max_input_bytes, settings.max_rows)
    reports = [check_file(path, limits) for path in files]
    if as_json:
        console.print_json(json.dumps([report.as_json() for report in reports], ensure_ascii=False))
    else:
        for report in reports:
            show(report)
    if rejects is not None:
        rejects.write_bytes(rejects_csv(r for report in reports for r in report.rejected))
    if any(report.error for report in reports):
        raise typer.Exit(EXIT_UNUSABLE)
    if any(report.rejected for report in reports):
        raise typer.Exit(EXIT_REJECTED)


def main() -> None:
    app()
