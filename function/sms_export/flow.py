"""One input, top to bottom:

    open → check → plan → export → verdicts → summarise → redact once → keep files → notify

`api.handle` recognises the event and hands each input to `Flow.run`. The pure steps live
in `core/` (readers, validation, batching, checkpoint, verdicts, outcome, documents); the
outside world is reached through clients.py and destination.py.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sms_export import credentials, inputs, lookups
from sms_export.adapters import platform
from sms_export.adapters.folder import FolderExports
from sms_export.adapters.logs import log_error, log_line
from sms_export.clients import Clients, metrics_for, topic_for
from sms_export.core import checkpoint
from sms_export.core.batching import unique
from sms_export.core.changes import compare
from sms_export.core.checkpoint import Span
from sms_export.core.differing import FILENAME as DIFFERING
from sms_export.core.differing import differing_csv
from sms_export.core.documents import OUTCOME_FILENAME, complete
from sms_export.core.errors import ConfigurationError, SmsExportError
from sms_export.core.input_kinds import Input
from sms_export.core.models import (
    BatchResult,
    ConsistencySummary,
    HuaweiCredentials,
    Outcome,
    Problem,
    Triple,
)
from sms_export.core.outcome import (
    Subject,
    failed,
    ignored,
    nothing_new,
    problem,
    summarise,
    worth_notifying,
)
from sms_export.core.page import REPORT_FILENAME
from sms_export.core.page import render as render_page
from sms_export.core.ports import BucketExports, ExportStore, Publisher, StoredExport, Topic
from sms_export.core.redaction import redacted
from sms_export.core.rejects import CONTENT_TYPE as CSV
from sms_export.core.rejects import FILENAME as REJECTS_FILENAME
from sms_export.core.rejects import rejects_csv
from sms_export.core.validation import check_rows
from sms_export.destination import Destination
from sms_export.progress import Progress, Silent, counted
from sms_export.retry import RetryPolicy
from sms_export.runner import BatchRunner
from sms_export.sending_rate import SendingRate
from sms_export.settings import Settings


@dataclass
class Attempt:
    """What one input's run has learnt so far (who signs, where its files go): what the
    record of a failure can still use."""

    signer: HuaweiCredentials | None = None
    destination: Destination | None = None

    @property
    def secrets(self) -> list[str]:
        return self.signer.secrets() if self.signer else []


class Flow:
    def __init__(
        self,
        settings: Settings,
        invocation: platform.Invocation,
        trigger: str,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self.invocation = invocation
        self.trigger = trigger
        self.progress = progress or Silent()
        self._clients: Clients | None = None
        self._metrics: tuple[HuaweiCredentials | None, Publisher | None] | None = None
        # One sending rate for every call of the invocation: what a 429 taught one input's
        # exports holds for the next input's (an SQS batch has up to ten).
        self.sending_rate = SendingRate(settings.max_calls_per_second)

    def run(self, source: Input) -> Outcome:
        """One input, whatever happens: an outcome stored beside its exports, logged and
        notified; a failure anywhere still leaves that record."""
        started, started_at = time.monotonic(), utc_now()
        uri = source.uri(self.settings.storage_scheme)
        subject = Subject(self.trigger, uri, self.invocation.request_id, source.origin)
        reason = source.why_ignored(self.settings.export_prefix, self.settings.input_prefix)
        if reason is not None:
            return announce(ignored(subject, reason), None, [])
        attempt = Attempt()
        try:
            outcome = self.export(source, subject, attempt)
        except SmsExportError as error:
            outcome = failed(subject, problem(error))
        except Exception as error:  # a bug must still leave a record, never a bare trace
            log_error(traceback.format_exc(), attempt.secrets)
            message = f"{type(error).__name__}: {error}"
            outcome = failed(subject, Problem(code="InternalError", message=message))
        outcome.started_at, outcome.finished_at = started_at, utc_now()
        outcome.duration_ms = round((time.monotonic() - started) * 1000)
        outcome = redacted(outcome, attempt.secrets)
        topic = topic_for(self.settings, attempt.signer)
        if attempt.destination is None:
            reported = announce(outcome, topic, attempt.secrets)
        else:
            reported = record(outcome, attempt.destination, topic)
        metrics = self.metrics(attempt.signer)
        if metrics is not None:
            metrics.publish(reported)
        return reported

    def export(self, source: Input, subject: Subject, attempt: Attempt) -> Outcome:
        """open → check → plan → export → verdicts → summarise; `attempt` keeps what is
        known so far, for the record of a failure."""
        settings = self.settings
        attempt.signer = signer = credentials.resolve(settings, self.invocation)
        clients = self.clients(signer)
        with inputs.opened(source, clients, settings, self.invocation.request_id) as reading:
            checked = check_rows(counted(reading.rows, self.progress), settings.id_format)
        folder = checkpoint.folder(settings.export_prefix, *reading.identity)
        destination = Destination(self.export_store(source, clients), folder, signer.secrets())
        attempt.destination = destination
        if reading.ignored_when_empty and not checked.valid and not checked.rejected:
            return ignored(subject, reading.ignored_when_empty)
        triples, duplicates = unique(checked.valid)
        rejects = None
        if checked.rejected:
            content = rejects_csv(checked.rejected)
            rejects = destination.keep(REJECTS_FILENAME, [content], CSV)
        refusal = strict_refusal(settings, len(checked.rejected))
        if refusal is None:
            results, consistency = self.export_rows(triples, clients, destination)
        else:
            results, consistency = [], None
        merged, not_merged = destination.merge(results)
        if consistency is not None and reading.compared:
            lineage = folder.rpartition("/")[0] + "/"
            consistency = compare(consistency, *(destination.previous_run(lineage) or (None, None)))
        differing = differing_csv(consistency) if consistency else None
        differing_uri = destination.keep(DIFFERING, [differing], CSV) if differing else None
        return summarise(
            subject,
            valid=len(checked.valid),
            rejected=checked.rejected,
            duplicates=duplicates,
            skipped=reading.tally,
            batches=results,
            error=refusal,
            consistency=consistency,
            results=merged,
            results_reason=not_merged,
            rejects_report=rejects,
            differing=differing_uri,
        )

    def export_rows(
        self, triples: list[Triple], clients: Clients, destination: Destination
    ) -> tuple[list[BatchResult], ConsistencySummary | None]:
        """plan → export → verdicts."""
        settings = self.settings
        # plan: what earlier runs stored is resumed, the rest goes in batches
        earlier = destination.look_around() if triples else {}
        spans = checkpoint.covered(destination.folder, earlier, triples)
        resumed, batches = checkpoint.plan_around(
            spans, triples, settings.batch_size, settings.max_request_bytes
        )
        done = [resumed_result(index, span, earlier[span.key]) for index, span in resumed]
        self.progress.batches_planned(len(done) + len(batches))
        for result in done:
            self.progress.batch_done(result)

        # export: each batch's answer streamed into the folder
        runner = BatchRunner(
            destination.exporter(clients.sms),
            RetryPolicy.from_settings(settings),
            settings.max_concurrency,
            time_left=self.invocation.seconds_left,
            margin_seconds=settings.deadline_margin_seconds,
            progress=self.progress,
            rate=self.sending_rate,
        )
        results = sorted(done + runner.run(batches), key=lambda result: result.first)

        # verdicts: each exported source's newest consistency check
        if not settings.consistency_summary:
            return results, None
        exported = lookups.stored_triples(results, triples)
        earlier_run = destination.earlier_outcome()
        return results, lookups.verdicts(runner, clients.sms, exported, settings, earlier_run)

    def clients(self, signer: HuaweiCredentials) -> Clients:
        """One set of clients for every input of the invocation (an SQS batch has up to ten;
        a boto3 client costs tens of milliseconds to make)."""
        if self._clients is None or self._clients.signer != signer:
            self._clients = Clients(self.settings, signer)
        return self._clients

    def metrics(self, signer: HuaweiCredentials | None) -> Publisher | None:
        """One metrics publisher (and client) for every input of the invocation."""
        if self._metrics is None or self._metrics[0] != signer:
            self._metrics = (signer, metrics_for(self.settings, self.invocation, signer))
        return self._metrics[1]

    def export_store(self, source: Input, clients: Clients) -> ExportStore:
        settings = self.settings
        if settings.export_bucket and settings.export_dir:
            raise ConfigurationError("Set EXPORT_BUCKET or EXPORT_DIR, not both.")
        if settings.export_dir:
            return FolderExports(Path(settings.export_dir))
        bucket = settings.export_bucket or source.home_bucket()
        if not bucket:
            raise ConfigurationError(
                "Set EXPORT_BUCKET (or EXPORT_DIR) to say where the exported files go."
            )
        return BucketExports(clients.storage, bucket)


def resumed_result(index: int, span: Span, stored: StoredExport) -> BatchResult:
    return BatchResult(
        index=index,
        size=span.size,
        first=span.start + 1,
        last=span.end,
        status="exported",
        export=stored.uri,
        bytes=stored.bytes,
        resumed=True,
        key=span.key,
    )


def record(outcome: Outcome, destination: Destination, topic: Topic | None) -> Outcome:
    """Keep the outcome, then report.html, then notify, then keep the outcome again.
    Kept first, it survives a kill or a lost notification, and the page links it only if
    it is there; kept again, it is the complete record: it names the page, and says who
    was told, which is how a duplicate delivery knows it is one. If that second write
    fails, the first one stands, without those two fields, and the next delivery notifies
    again: told twice rather than never."""
    # Read before this run replaces it, and only when it may show this run to be a
    # duplicate delivery: when every batch was resumed.
    earlier = destination.earlier_outcome() if topic and nothing_new(outcome) else None
    outcome.stored_outcome = keep_outcome(outcome, destination)
    if outcome.status != "ignored":
        # (A lone surrogate a direct invocation carried in a rejected cell is kept visible.)
        page = render_page(outcome).encode("utf-8", "backslashreplace")
        outcome.report = destination.keep(REPORT_FILENAME, [page], "text/html; charset=utf-8")
    reported = announce(outcome, topic, destination.secrets, earlier)
    if reported.stored_outcome is not None:
        keep_outcome(reported, destination)
    return reported


def keep_outcome(outcome: Outcome, destination: Destination) -> str | None:
    """The outcome as JSON beside the exports: the only complete record (log lines and
    notifications are bounded)."""
    document = json.dumps(complete(outcome), indent=2, ensure_ascii=False)
    content = document.encode("utf-8", "backslashreplace")
    return destination.keep(OUTCOME_FILENAME, [content], "application/json")


def announce(
    outcome: Outcome, topic: Topic | None, secrets: list[str], earlier: Outcome | None = None
) -> Outcome:
    """Publish (when a topic is set and there is news since the `earlier` record) and log
    one line. The outcome is redacted already, and so is what a failed publication says
    (it may quote the keys it signed with); that failure is shown, never fatal."""
    if topic is not None and worth_notifying(outcome, earlier, topic.topic):
        outcome.notification = redacted(topic.publish(outcome), secrets)
    log_line(outcome)
    return outcome


def strict_refusal(settings: Settings, rejected: int) -> Problem | None:
    if not (settings.strict_validation and rejected):
        return None
    return Problem(
        code="StrictValidation",
        message=f"{rejected} rows were rejected and STRICT_VALIDATION is on: nothing was exported",
    )


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
