"""The `sms-export` command line: a thin layer over the function's public API
(sms_export.api), which takes every file through the handler's own steps.

Where output goes: what a command answers (tables, JSON, report paths) on stdout; progress,
errors and the function's own log lines on stderr, never mixed in one line. On a terminal,
progress is a live bar and the function's JSON log lines are left out (the summary table
says what they say); elsewhere, a file's log lines follow its progress lines, after them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import time
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY
from sms_export.settings import Settings
from sms_export_cli import gates
from sms_export_cli.terminal import show, summary, validation_json, verdicts
from sms_export_cli.watch import Watch

app = typer.Typer(
    help="Export Huawei Cloud SMS consistency results, and check input files first.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
console = Console()
log = Console(stderr=True)

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
FAIL_ON_HELP = (
    "Exit with a code of its own when sources are inconsistent, unknown or newly "
    "inconsistent since the previous run, or rows were rejected (comma-separated: "
    "inconsistent,unknown,rejected,newly-inconsistent; the codes are in docs/command-line.md)."
)


class PlatformName(str, Enum):
    lambda_ = "lambda"
    functiongraph = "functiongraph"


def settings_or_exit(**overrides: str | None) -> Settings:
    from sms_export.api import ConfigurationError

    try:
        return Settings.load(overrides=overrides)
    except ConfigurationError as error:
        log.print(f"[bold red]✗[/] {escape(error.message)}")
        raise typer.Exit(gates.UNUSABLE) from None


def fail_on_or_exit(text: str | None) -> frozenset[gates.FailOn]:
    try:
        return gates.parse_fail_on(text)
    except ValueError as error:
        log.print(f"[bold red]✗[/] {escape(str(error))}")
        raise typer.Exit(gates.UNUSABLE) from None


def package_version() -> str:
    """The installed version, else (run from a checkout, not installed) the checkout's."""
    try:
        return metadata.version("sms-consistency-export")
    except metadata.PackageNotFoundError:
        text = PYPROJECT.read_text(encoding="utf-8") if PYPROJECT.exists() else ""
        found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
        return found.group(1) if found else "unknown"


def print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"sms-export {package_version()}")
        raise typer.Exit()


@app.callback()
def commands(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Export Huawei Cloud SMS consistency results, and check input files first."""


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="CSV, TSV, JSON, JSON Lines or .xlsx files, gzip-compressed or not."),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print what each file holds and how it was read, as JSON."),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Also write the rejected rows to this CSV file, as the function would."),
    ] = None,
) -> None:
    """Check input files as the function would, without credentials or any call, and say
    how each was read (format, encoding, separator, which column is which).

    Exits with 0 when every row is valid, 1 when rows are rejected, 2 when a file
    cannot be used at all (as an export of it would fail: no column, no row…).

    Example:

        sms-export validate wave-1.csv wave-2.xlsx --rejects rejected.csv
    """
    from sms_export.api import rejects_csv, validate_file

    settings = settings_or_exit()
    checked = [validate_file(path, settings) for path in files]
    if as_json:
        typer.echo(
            json.dumps([validation_json(each) for each in checked], ensure_ascii=False, indent=2)
        )
    else:
        for each in checked:
            show(each, console)
    if rejects is not None:
        rejects.write_bytes(rejects_csv([r for each in checked for r in each.rejected]))
    if any(each.error for each in checked):
        raise typer.Exit(gates.UNUSABLE)
    if any(each.rejected for each in checked):
        raise typer.Exit(gates.INCOMPLETE)


@app.command()
def export(
    files: Annotated[list[Path], typer.Argument(help="Input files, in any accepted format.")],
    out: Annotated[Path | None, typer.Option(help="Store exports in this folder.")] = None,
    bucket: Annotated[str | None, typer.Option(help="Store exports in this S3/OBS bucket.")] = None,
    prefix: Annotated[str | None, typer.Option(help="Key prefix of the exports.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Check and plan only: no call, no keys.")] = False,
    fail_on: Annotated[str | None, typer.Option(help=FAIL_ON_HELP)] = None,
) -> None:
    """Export the consistency results for the rows of local files, as the function would.

    Credentials and settings come from the environment (CLOUD_SDK_AK, CLOUD_SDK_SK,
    SMS_REGION…), as for the function. A progress bar shows on a terminal, plain log lines
    elsewhere; a summary table ends the run. Exits with 0 only when every row was
    exported (1 otherwise), or with the code of a --fail-on condition met.
    A second run of the same file resumes: batches already stored are skipped.

    Example:

        sms-export export wave-1.csv --out ./results --fail-on inconsistent,unknown
    """
    if out is not None and bucket is not None:
        log.print("[bold red]✗[/] Choose --out or --bucket, not both.")
        raise typer.Exit(gates.UNUSABLE)
    conditions = fail_on_or_exit(fail_on)
    settings = settings_or_exit(
        EXPORT_DIR=str(out) if out else None, EXPORT_BUCKET=bucket, EXPORT_PREFIX=prefix
    )
    if dry_run:
        raise typer.Exit(plan_only(files, settings))

    from sms_export.api import export_file

    outcomes = []
    for path in files:
        # The function's JSON log lines, held back so that they never split the progress
        # lines; on a terminal they are left out: the summary table says what they say.
        function_log = io.StringIO()
        with Watch(path.name, log) as watch, contextlib.redirect_stdout(function_log):
            outcomes.append((path, export_file(path, settings, watch)))
        if not log.is_terminal:
            sys.stderr.write(function_log.getvalue())
            sys.stderr.flush()
    summary(outcomes, console)
    verdicts(outcomes, console)
    raise typer.Exit(gates.exit_code((o for _, o in outcomes), conditions, exported=True))


@app.command()
def report(
    stored: Annotated[Path, typer.Argument(help="An outcome.json stored beside the exports.")],
    out: Annotated[
        Path | None, typer.Option(help="Where to write the page (default: report.html beside it).")
    ] = None,
    fail_on: Annotated[str | None, typer.Option(help=FAIL_ON_HELP)] = None,
) -> None:
    """Render the report a person reads from a stored outcome, without any call. With
    --fail-on, exits with the code of the condition the stored outcome meets.

    Example:

        sms-export report results/consistency-results/inline/…/outcome.json
    """
    from sms_export.api import read_outcome, render_report

    conditions = fail_on_or_exit(fail_on)
    try:
        outcome = read_outcome(stored)
    except (OSError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        why = escape(str(error))[:300]
        log.print(f"[bold red]✗[/] {escape(str(stored))} is not a stored outcome: {why}")
        raise typer.Exit(gates.UNUSABLE) from None
    target = out or stored.with_name("report.html")
    target.write_text(render_report(outcome), encoding="utf-8")
    console.print(f"[bold green]✓[/] {escape(str(target))}")
    raise typer.Exit(gates.exit_code([outcome], conditions, exported=False))


def plan_only(files: list[Path], settings: Settings) -> int:
    from sms_export.api import validate_file

    table = Table("file", "valid", "rejected", "batches", "largest batch", show_edge=False)
    worst = gates.OK
    for path in files:
        checked = validate_file(path, settings)
        if checked.error:
            show(checked, console)
            worst = gates.UNUSABLE
            continue
        table.add_row(
            escape(str(path)),
            str(checked.rows.valid),
            str(checked.rows.rejected),
            str(len(checked.batches)),
            str(max(checked.batches, default=0)),
        )
        if checked.rejected:
            worst = max(worst, gates.INCOMPLETE)
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
    from sms_export.api import RetryLater, handle

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
            answer, code = retry.answer, gates.RETRY
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
    exporting. Credentials come from the environment, as for the function. With --json,
    stdout holds the JSON alone; log lines go to stderr.

    Example:

        sms-export discover --state finished
    """
    from sms_export.api import SmsExportError, discover

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
        with contextlib.redirect_stdout(sys.stderr):  # the SDK's log line, say
            rows = discover(settings, filters)
    except SmsExportError as error:
        log.print(f"[bold red]✗[/] {escape(error.message)}")
        failed_call = error.code == "DiscoveryFailed"
        raise typer.Exit(gates.INCOMPLETE if failed_call else gates.UNUSABLE) from None
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
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
