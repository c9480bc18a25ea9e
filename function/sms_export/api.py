"""The public entry points: the platforms' handler, and what the command line and scripts
do with local files and the SMS API (check a file, export it, list what a discovery would
export, render the report of a stored outcome). Everything goes through the same steps as
the handler's; nothing else in sms_export is meant to be imported from outside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sms_export import credentials, inputs
from sms_export.adapters import platform
from sms_export.clients import Clients, topic_for
from sms_export.core import triggers
from sms_export.core.batching import plan, unique
from sms_export.core.errors import (
    CallFailed,
    ConfigurationError,
    InputError,
    RetryLater,
    SmsExportError,
)
from sms_export.core.input_kinds import DocumentInput
from sms_export.core.models import Outcome, Problem, Rejection, RowCounts
from sms_export.core.outcome import Subject, failed, ignored, no_rows, problem
from sms_export.core.page import render
from sms_export.core.readers import read_rows
from sms_export.core.redaction import redacted
from sms_export.core.rejects import rejects_csv
from sms_export.core.replies import reply
from sms_export.core.rows import Layout, Limits, Tally
from sms_export.core.validation import check_rows
from sms_export.flow import Flow, announce
from sms_export.progress import Progress
from sms_export.retry import RetryPolicy
from sms_export.settings import Settings

__all__ = [
    "CallFailed",
    "ConfigurationError",
    "Layout",
    "Progress",
    "RetryLater",
    "SmsExportError",
    "Validation",
    "discover",
    "export_file",
    "handle",
    "read_outcome",
    "rejects_csv",
    "render_report",
    "validate_file",
]


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Run every input the event carries; answer the platform in the trigger's own terms."""
    invocation = platform.describe(context)
    try:
        recognised = triggers.recognise(event)
    except SmsExportError as error:
        return reply("outcome", "unknown", [reject_event(error, invocation)])
    try:
        settings = Settings.load(invocation.user_data)
    except ConfigurationError as error:
        outcomes = [
            announce(failed(subject, problem(error)), None, [])
            for subject in subjects(recognised, invocation)
        ]
    else:
        flow = Flow(settings, invocation, recognised.trigger)
        outcomes = [flow.run(source) for source in recognised.inputs]
    if not outcomes and recognised.reply != "sqs":
        subject = Subject(recognised.trigger, "event", invocation.request_id)
        nothing = ignored(subject, "the event announces nothing to export")
        outcomes = [announce(nothing, None, [])]
    answer = reply(recognised.reply, recognised.trigger, outcomes)
    unfinished = [outcome for outcome in outcomes if outcome.retryable]
    if unfinished and recognised.reply == "outcome":
        # Asynchronous platforms retry a failed invocation; the retry resumes the work.
        raise RetryLater(
            f"{len(unfinished)} of {len(outcomes)} inputs left work that a retry can finish "
            "(throttling, server errors, time running out, a setting to fix); see the "
            "outcome log line",
            answer,
        )
    return answer


def reject_event(error: SmsExportError, invocation: platform.Invocation) -> Outcome:
    """An event we do not understand: logged, notified as failed, never a stack trace."""
    subject = Subject("unknown", "event", invocation.request_id)
    settings = Settings.load_or_none(invocation.user_data)
    signer = None
    if settings is not None:
        try:
            signer = credentials.resolve(settings, invocation)  # SMN needs them to publish
        except ConfigurationError:
            signer = None
    topic = topic_for(settings, signer) if settings else None
    secrets = signer.secrets() if signer else []
    return announce(redacted(failed(subject, problem(error)), secrets), topic, secrets)


def subjects(recognised: triggers.Recognised, invocation: platform.Invocation) -> list[Subject]:
    """What a configuration error is reported about: each input, or the event itself."""
    trigger, request_id = recognised.trigger, invocation.request_id
    # Without settings, STORAGE_ENDPOINT is unknown: FunctionGraph's objects are OBS's.
    scheme = "obs" if invocation.platform == "functiongraph" else "s3"
    found = [
        Subject(trigger, source.uri(scheme), request_id, source.origin)
        for source in recognised.inputs
    ]
    return found or [Subject(trigger, "event", request_id)]


@dataclass(frozen=True)
class Validation:
    """What an export of a file would make of its rows, found without any call: `error` is
    the error the export would fail with, `batches` the size of each request it would send."""

    file: str
    layout: Layout
    rows: RowCounts = field(default_factory=RowCounts)
    rejected: list[Rejection] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    error: Problem | None = None


def validate_file(path: Path, settings: Settings) -> Validation:
    """Read and check a local file as `export_file` would, and plan its batches; one read."""
    tally = Tally()
    try:
        with path.open("rb") as stream:
            rows = read_rows(
                stream,
                path.name,
                limits=Limits(settings.max_input_bytes, settings.max_rows),
                tally=tally,
            )
            checked = check_rows(rows, settings.id_format)
    except InputError as error:
        return Validation(str(path), tally.layout, error=problem(error))
    except OSError as error:
        unreadable = Problem(code="UnreadableFile", message=f"{path}: {error.strerror}")
        return Validation(str(path), tally.layout, error=unreadable)
    triples, duplicates = unique(checked.valid)
    counts = RowCounts(
        received=len(checked.valid) + len(checked.rejected),
        valid=len(checked.valid),
        rejected=len(checked.rejected),
        duplicates=duplicates,
        blank=tally.blank,
        comments=tally.comments,
        headers=tally.headers,
    )
    batches = plan(triples, settings.batch_size, settings.max_request_bytes)
    return Validation(
        str(path),
        tally.layout,
        counts,
        checked.rejected,
        [len(batch.triples) for batch in batches],
        # The name, as the export's outcome says it (uri_of a document is its name).
        no_rows(path.name) if counts.received == 0 else None,
    )


def export_file(path: Path, settings: Settings, progress: Progress | None = None) -> Outcome:
    """Export the rows of a local file in any accepted format. Its exports are kept under
    its name and a digest of its content, so a second run of the same file resumes."""
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:12]
    source = DocumentInput(content, origin=f"{path.stem}-{digest}", name=path.name)
    return Flow(settings, platform.describe(None), "cli", progress).run(source)


def discover(settings: Settings, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """What a timer's discovery would export (ListServers, every page), exporting nothing;
    `filters` replace DISCOVER_FILTERS. Fails as the discovery does (`DiscoveryFailed`)."""
    signer = credentials.resolve(settings, platform.describe(None))
    chosen = filters or settings.discover_filters or {}
    return inputs.discovered(Clients(settings, signer), chosen, RetryPolicy.from_settings(settings))


def read_outcome(path: Path) -> Outcome:
    """An outcome.json stored beside the exports; OSError or ValueError when it is not one."""
    return Outcome.model_validate_json(path.read_bytes())


def render_report(outcome: Outcome) -> str:
    """report.html, as the function stores it beside the exports."""
    return render(outcome)
