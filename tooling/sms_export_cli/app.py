"""The `sms-export` command line: a thin layer over the function's own flow."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY
from sms_export_cli.reports import check_file, show, summary, valid_triples, verdicts
from sms_export_cli.watch import Watch

app = typer.Typer(
    help="Export Huawei Cloud SMS consistency results, and check input files first.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
console = Console()
log = Console(stderr=True)

EXIT_INCOMPLETE = 1  # rows rejected, or not everything exported
EXIT_UNUSABLE = 2  # a file or the configuration cannot be used at all
EXIT_RETRY = 3  # invoke: the platform would retry the invocation


class PlatformName(str, Enum):
    lambda_ = "lambda"
    functiongraph = "functiongraph"


def settings_or_exit(**overrides: str | None) -> Any:
    from sms_export.core.errors import ConfigurationError
    from sms_export.settings import Settings

    try:
        return Settings.load(overrides=overrides)
    except ConfigurationError as error:
        log.print(f"[bold red]✗[/] {escape(error.message)}")
        raise typer.Exit(EXIT_UNUSABLE) from None


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
    from sms_export.core.readers import Limits
    from sms_export.core.rejects import rejects_csv

    settings = settings_or_exit()
    limits = Limits(settings.max_input_bytes, settings.max_rows)
    reports = [check_file(path, limits, settings.id_format) for path in files]
    if as_json:
        console.print_json(json.dumps([report.as_json() for report in reports], ensure_ascii=False))
    else:
        for report in reports:
            show(report, console)
    if rejects is not None:
        rejects.write_bytes(rejects_csv(r for report in reports for r in report.rejected))
    if any(report.error for report in reports):
        raise typer.Exit(EXIT_UNUSABLE)
    if any(report.rejected for report in reports):
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command()
def export(
    files: Annotated[list[Path], typer.Argument(help="Input files, in any accepted format.")],
    out: Annotated[Path | None, typer.Option(help="Store exports in this folder.")] = None,
    bucket: Annotated[str | None, typer.Option(help="Store exports in this S3/OBS bucket.")] = None,
    prefix: Annotated[str | None, typer.Option(help="Key prefix of the exports.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Check and plan only: no call, no keys.")] = False,
) -> None:
    """Export the consistency results for the rows of local files, as the function would.

    Credentials and settings come from the environment (CLOUD_SDK_AK, CLOUD_SDK_SK,
    SMS_REGION…), as for the function. A progress bar shows on a terminal, plain log lines
    elsewhere; a summary table ends the run. Exits with 0 only when every row was
    exported. A second run of the same file resumes: batches already stored are skipped.

    Example:

        sms-export export wave-1.csv --out ./results
    """
    if out is not None and bucket is not None:
        log.print("[bold red]✗[/] Choose --out or --bucket, not both.")
        raise typer.Exit(EXIT_UNUSABLE)
    settings = settings_or_exit(
        EXPORT_DIR=str(out) if out else None, EXPORT_BUCKET=bucket, EXPORT_PREFIX=prefix
    )
    if dry_run:
        raise typer.Exit(plan_only(files, settings))

    from sms_export.api import export_file

    outcomes = []
    for path in files:
        # The function's JSON log line: a plain log line, or hidden behind a live bar.
        function_log = io.StringIO() if log.is_terminal else sys.stderr
        with Watch(path.name, log) as watch, contextlib.redirect_stdout(function_log):
            outcomes.append((path, export_file(path, settings, watch)))
    summary(outcomes, console)
    verdicts(outcomes, console)
    if not all(outcome.status == "succeeded" for _, outcome in outcomes):
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command()
def report(
    stored: Annotated[Path, typer.Argument(help="An outcome.json stored beside the exports.")],
    out: Annotated[
        Path | None, typer.Option(help="Where to write the page (default: report.html beside it).")
    ] = None,
) -> None:
    """Render the report a person reads from a stored outcome, without any call.

    Example:

        sms-export report results/consistency-results/inline/…/outcome.json
    """
    from pydantic import ValidationError

    from sms_export.core.models import Outcome
    from sms_export.core.page import render

    try:
        outcome = Outcome.model_validate_json(stored.read_bytes())
    except (OSError, ValidationError) as error:
        why = escape(str(error))[:300]
        log.print(f"[bold red]✗[/] {escape(str(stored))} is not a stored outcome: {why}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    target = out or stored.with_name("report.html")
    target.write_text(render(outcome), encoding="utf-8")
    console.print(f"[bold green]✓[/] {escape(str(target))}")


def plan_only(files: list[Path], settings: Any) -> int:
    from sms_export.core.batching import plan
    from sms_export.core.readers import Limits

    limits = Limits(settings.max_input_bytes, settings.max_rows)
    table = Table("file", "valid", "rejected", "batches", "largest batch", show_edge=False)
    worst = 0
    for path in files:
        report = check_file(path, limits, settings.id_format)
        if report.error:
            show(report, console)
            worst = EXIT_UNUSABLE
            continue
        triples = valid_triples(path, limits, settings.id_format)
        batches = plan(triples, settings.batch_size, settings.max_request_bytes)
        table.add_row(
            escape(str(path)),
            str(report.rows["valid"]),
            str(report.rows["rejected"]),
            str(len(batches)),
            str(max((len(b.triples) for b in batches), default=0)),
        )
        if report.rejected:
            worst = max(worst, EXIT_INCOMPLETE)
    console.print(table)
    console.print("Dry run: nothing was exported.")
    return worst


@app.command()
def invoke(
    event: Annotated[Path, typer.Argument(help="An event JSON file, e.g. from events/.")],
    platform: Annotated[
        PlatformName, typer.Option(help="Whose context to pass.")
    ] = PlatformName.lambda_,
    timeout: Annotated[float, typer.Option(help="The function's timeout, in seconds.")] = 300,
) -> None:
    """Run the handler on an event as the platform would, with a realistic context.

    On FunctionGraph the context carries the temporary credentials, taken here from
    HUAWEICLOUD_SDK_AK/SK/SECURITY_TOKEN or CLOUD_SDK_AK/SK. Prints what the handler
    returns; exits with 3 when it asks the platform to retry.

    Example:

        sms-export invoke events/s3-upload.json --platform lambda --timeout 60
    """
    from localrun.contexts import FunctionGraphContext, LambdaContext
    from sms_export.api import handle
    from sms_export.core.errors import RetryLater

    payload = json.loads(event.read_text(encoding="utf-8"))
    context: Any
    if platform is PlatformName.functiongraph:
        environment = os.environ
        context = FunctionGraphContext(
            access_key=environment.get("HUAWEICLOUD_SDK_AK", environment.get("CLOUD_SDK_AK", "")),
            secret_key=environment.get("HUAWEICLOUD_SDK_SK", environment.get("CLOUD_SDK_SK", "")),
            security_token=environment.get("HUAWEICLOUD_SDK_SECURITY_TOKEN", ""),
            timeout_seconds=timeout,
        )
    else:
        context = LambdaContext(timeout_seconds=timeout)
    with contextlib.redirect_stdout(sys.stderr):  # the function's log line
        try:
            answer, code = handle(payload, context), 0
        except RetryLater as retry:
            answer, code = retry.answer, EXIT_RETRY
    console.print_json(json.dumps(answer, ensure_ascii=False))
    if code:
        log.print("The handler raised RetryLater: the platform would retry this invocation.")
        raise typer.Exit(code)


@app.command()
def emulator(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 0,
    latency: Annotated[int, typer.Option(help="Milliseconds added to every call.")] = 0,
    fail_rate: Annotated[
        float,
        typer.Option(
            help="Share of calls answered with a random fault (429, 5xx, drop, hang, cut)."
        ),
    ] = 0.0,
    access_key: Annotated[str, typer.Option(help="The AK it accepts.")] = DEMO_ACCESS_KEY,
    secret_key: Annotated[str, typer.Option(help="The SK that goes with it.")] = DEMO_SECRET_KEY,
) -> None:
    """Run the emulator of the Huawei endpoints (SMS export and ListServers, SMN publish)
    in the foreground, for your own integration tests. It checks signatures like the API
    gateway. Stop it with Ctrl-C.

    Example:

        sms-export emulator --port 8443 --latency 200 --fail-rate 0.1
    """
    from emulator import EmulatorServer, SmsBackend

    backend = SmsBackend(
        credentials={access_key: secret_key}, latency=latency / 1000, fail_rate=fail_rate
    )
    with EmulatorServer(backend, port) as server:
        # Plain lines, never wrapped: scripts read them.
        typer.echo(f"SMS emulator on {server.endpoint}")
        typer.echo(
            f"export SMS_ENDPOINT={server.endpoint} SMN_ENDPOINT={server.endpoint} "
            f"CES_ENDPOINT={server.endpoint} "
            f"CLOUD_SDK_AK={access_key} CLOUD_SDK_SK={secret_key}"
        )
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


@app.command()
def discover(
    state: Annotated[str | None, typer.Option(help="Source server state, e.g. finished.")] = None,
    name: Annotated[str | None, typer.Option(help="Source server name.")] = None,
    migproject: Annotated[str | None, typer.Option(help="Migration project id.")] = None,
    enterprise_project_id: Annotated[
        str | None, typer.Option(help="Enterprise project id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """List what a timer's discovery would export (ListServers, every page), without
    exporting. Credentials come from the environment, as for the function.

    Example:

        sms-export discover --state finished
    """
    from sms_export.adapters.platform import describe
    from sms_export.adapters.sms import SmsApi
    from sms_export.core.errors import CallFailed, SmsExportError
    from sms_export.credentials import resolve
    from sms_export.retry import RetryPolicy

    settings = settings_or_exit()
    filters = {
        key: value
        for key, value in (
            ("state", state),
            ("name", name),
            ("migproject", migproject),
            ("enterprise_project_id", enterprise_project_id),
        )
        if value is not None
    }
    try:
        api = SmsApi(settings, resolve(settings, describe(None)))
        rows = list(
            api.list_sources(
                filters or settings.discover_filters or {},
                retry=RetryPolicy.from_settings(settings),
            )
        )
    except CallFailed as error:
        log.print(f"[bold red]✗[/] ListServers failed: {escape(str(error))}")
        raise typer.Exit(EXIT_INCOMPLETE) from None
    except SmsExportError as error:
        log.print(f"[bold red]✗[/] {escape(error.message)}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("task_id", "source_id", "source_name", show_edge=False)
    for row in rows:
        table.add_row(
            *(escape(str(row[key] or "")) for key in ("task_id", "source_id", "source_name"))
        )
    console.print(table)
    console.print(f"{len(rows)} sources with consistency results", highlight=False)


def main() -> None:
    app()
