"""The whole flow, in order:

    event → inputs → rows → valid batches → export → store → outcome → notify

`handle` recognises the event; `Flow.run` takes one input through every step. The steps
live in their own modules: pure ones (readers, validation, batching, checkpoint, outcome,
documents, replies) and clients at the edge (triggers, inputs, sms, storage, notify).
"""

from __future__ import annotations

import json
import mimetypes
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from sms_export import credentials, inputs
from sms_export.adapters import platform
from sms_export.adapters.sms import Download, SmsApi
from sms_export.clients import Clients
from sms_export.core import checkpoint, results, triggers
from sms_export.core import verdicts as consistency
from sms_export.core.batching import Batch, unique
from sms_export.core.checkpoint import (
    OUTCOME_FILENAME,
    REJECTS_FILENAME,
    REPORT_FILENAME,
    RESULTS_STEM,
    Span,
)
from sms_export.core.documents import complete
from sms_export.core.errors import CallFailed, ConfigurationError, RetryLater, SmsExportError
from sms_export.core.models import (
    BatchResult,
    ConsistencySummary,
    HuaweiCredentials,
    Outcome,
    Problem,
    Rejection,
    SourceVerdict,
    Triple,
)
from sms_export.core.outcome import (
    Subject,
    failed,
    ignored,
    nothing_new,
    summarise,
    worth_notifying,
)
from sms_export.core.page import render as render_report
from sms_export.core.readers import Tally
from sms_export.core.redaction import redacted
from sms_export.core.rejects import CONTENT_TYPE as REJECTS_CONTENT_TYPE
from sms_export.core.rejects import rejects_csv
from sms_export.core.replies import reply
from sms_export.core.triggers import Input
from sms_export.core.validation import CheckedRows, check_rows
from sms_export.metrics import Publisher, metrics_for
from sms_export.notify import Topic, log_error, log_line, topic_for
from sms_export.progress import Progress, Silent, counted
from sms_export.retry import RetryPolicy
from sms_export.runner import BatchRunner, ExportOne, Tried
from sms_export.sending_rate import SendingRate
from sms_export.settings import Settings
from sms_export.storage import BucketExports, ExportStore, FolderExports, StoredExport


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
            report(failed(subject, problem(error)), [], None)
            for subject in subjects(recognised, invocation)
        ]
    else:
        flow = Flow(settings, invocation, recognised.trigger)
        outcomes = [flow.run(source) for source in recognised.inputs]
    if not outcomes and recognised.reply != "sqs":
        subject = Subject(recognised.trigger, "event", invocation.request_id)
        outcomes = [report(ignored(subject, "the event announces nothing to export"), [], None)]
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
    return report(failed(subject, problem(error)), signer.secrets() if signer else [], topic)


def subjects(recognised: triggers.Recognised, invocation: platform.Invocation) -> list[Subject]:
    trigger, request_id = recognised.trigger, invocation.request_id
    found = [
        Subject(trigger, inputs.uri_of(source, "s3"), request_id, source.origin)
        for source in recognised.inputs
    ]
    return found or [Subject(trigger, "event", request_id)]


def problem(error: SmsExportError) -> Problem:
    return Problem(code=error.code, message=error.message, retryable=error.retryable)


@dataclass
class Destination:
    """Where one input's files go: a store, and the folder in it."""

    exports: ExportStore
    folder: str = ""
    secrets: list[str] = field(default_factory=list)
    # The key of each stored export, by the first triple it holds (1-based, as in
    # BatchResult.first): what the results file is merged from.
    keys: dict[int, str] = field(default_factory=dict)
    # What earlier runs stored in the folder, from the one listing the resume makes: its
    # batch files, and whether an earlier record (outcome.json) is there to be read.
    earlier: dict[str, StoredExport] = field(default_factory=dict)


@dataclass
class Attempt:
    """What one input's run has learnt so far: who signs, where its files go."""

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
        started = time.monotonic()
        subject = Subject(
            self.trigger,
            inputs.uri_of(source, self.settings.storage_scheme),
            self.invocation.request_id,
            source.origin,
        )
        if inputs.is_under(source, self.settings.export_prefix):
            reason = f"the object is under EXPORT_PREFIX ({self.settings.export_prefix})"
            return report(ignored(subject, reason), [], None)
        if inputs.is_outside(source, self.settings.input_prefix):
            reason = f"the object is outside INPUT_PREFIX ({self.settings.input_prefix})"
            return report(ignored(subject, reason), [], None)
        attempt = Attempt()
        try:
            outcome = self.export_input(source, subject, attempt)
        except SmsExportError as error:
            outcome = failed(subject, problem(error))
        except Exception as error:  # a bug must still leave a record, never a bare trace
            log_error(traceback.format_exc(), attempt.secrets)
            message = f"{type(error).__name__}: {error}"
            outcome = failed(subject, Problem(code="InternalError", message=message))
        outcome.duration_ms = round((time.monotonic() - started) * 1000)
        topic = topic_for(self.settings, attempt.signer)
        if attempt.destination is None:
            reported = report(outcome, attempt.secrets, topic)
        else:
            reported = record(outcome, attempt.destination, topic)
        metrics = self.metrics(attempt.signer)
        if metrics is not None:
            metrics.publish(reported)
        return reported

    def export_input(self, source: Input, subject: Subject, attempt: Attempt) -> Outcome:
        """inputs → rows → valid batches → export → store; `attempt` keeps what is known
        so far, for the record of a failure."""
        attempt.signer = signer = credentials.resolve(self.settings, self.invocation)
        clients = self.clients(signer)
        tally = Tally()
        with inputs.opened(
            source, clients, self.settings, self.invocation.request_id, tally
        ) as reading:
            rows = counted(reading.rows, self.progress)
            checked = check_rows(rows, self.settings.id_format)  # → valid + rejected
        attempt.destination = destination = Destination(
            self.export_store(source, clients),
            checkpoint.folder(self.settings.export_prefix, *reading.identity),
            signer.secrets(),
        )
        if reading.ignored_when_empty and not checked.valid and not checked.rejected:
            return ignored(subject, reading.ignored_when_empty)
        outcome = self.export_rows(subject, checked, clients, destination)
        outcome.rows.blank, outcome.rows.comments = tally.blank, tally.comments
        outcome.rows.headers = tally.headers
        outcome.rejects_report = store_rejects(checked.rejected, destination)
        outcome.results, outcome.results_reason = store_results(outcome.batches, destination)
        return outcome

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
        bucket = settings.export_bucket or inputs.home_bucket(source)
        if not bucket:
            raise ConfigurationError(
                "Set EXPORT_BUCKET (or EXPORT_DIR) to say where the exported files go."
            )
        return BucketExports(clients.storage, bucket)

    # -- valid batches → export → store → outcome --------------------------------------------
    def export_rows(
        self,
        subject: Subject,
        checked: CheckedRows,
        clients: Clients,
        destination: Destination,
    ) -> Outcome:
        triples, duplicates = unique(checked.valid)
        outcome = partial(
            summarise,
            subject,
            valid=len(checked.valid),
            rejected=checked.rejected,
            duplicates=duplicates,
        )
        if self.settings.strict_validation and checked.rejected:
            refusal = Problem(
                code="StrictValidation",
                message=f"{len(checked.rejected)} rows were rejected and "
                "STRICT_VALIDATION is on: nothing was exported",
            )
            return outcome(batches=[], error=refusal)
        destination.earlier = earlier = earlier_exports(destination) if triples else {}
        spans = checkpoint.covered(destination.folder, earlier, triples)
        resumed, batches = checkpoint.plan_around(
            spans, triples, self.settings.batch_size, self.settings.max_request_bytes
        )
        done = [resumed_result(index, span, earlier[span.key]) for index, span in resumed]
        destination.keys.update((span.start + 1, span.key) for _, span in resumed)
        self.progress.batches_planned(len(done) + len(batches))
        for result in done:
            self.progress.batch_done(result)
        runner = BatchRunner(
            export_and_store(clients.sms, destination),
            RetryPolicy.from_settings(self.settings),
            self.settings.max_concurrency,
            time_left=self.invocation.seconds_left,
            margin_seconds=self.settings.deadline_margin_seconds,
            progress=self.progress,
            rate=self.sending_rate,
        )
        results = sorted(done + runner.run(batches), key=lambda result: result.first)
        exported = outcome(batches=results)
        if self.settings.consistency_summary:
            judge = partial(
                consistency.judge,
                ignore=self.settings.ignore_directories,
                max_age_hours=self.settings.max_check_age_hours,
                now=datetime.now(timezone.utc),
            )
            exported.consistency = verdicts(
                runner, clients.sms, stored_triples(results, triples), judge
            )
        return exported


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
    )


def stored_triples(results: list[BatchResult], triples: list[Triple]) -> list[Triple]:
    """The triples the stored exports hold, in input order."""
    held = sorted((r.first, r.last) for r in results if r.status == "exported")
    return list(dict.fromkeys(t for first, last in held for t in triples[first - 1 : last]))


def verdicts(
    runner: BatchRunner,
    api: SmsApi,
    exported: list[Triple],
    judge: Callable[[Triple, Any], SourceVerdict] = consistency.judge,
) -> ConsistencySummary:
    """Each exported source's newest consistency check, one lookup per task, under the
    runner's rules; a lookup that fails leaves its sources `unknown`, never the export."""
    tasks = list(dict.fromkeys(triple.task_id for triple in exported))
    answers = dict(zip(tasks, runner.call_each(tasks, api.consistency_result), strict=True))
    return consistency.summarise([verdict_of(t, answers[t.task_id], judge) for t in exported])


def verdict_of(
    triple: Triple,
    tried: Tried[Any],
    judge: Callable[[Triple, Any], SourceVerdict] = consistency.judge,
) -> SourceVerdict:
    if tried.error is None:
        return judge(triple, tried.value)
    error = tried.error
    if not tried.attempts:
        return consistency.unknown(triple, f"not looked up: {error.message}")
    return consistency.unknown(triple, f"the lookup failed: {error.code} ({error.message})")


def earlier_exports(destination: Destination) -> dict[str, StoredExport]:
    """What earlier runs stored in the input's folder: one listing."""
    try:
        return destination.exports.existing(destination.folder + "/")
    except CallFailed as error:
        log_error(f"Cannot see earlier exports, so none is skipped: {error}", [])
        return {}


def export_and_store(api: SmsApi, destination: Destination) -> ExportOne:
    """One batch: call the API and stream the answer straight into storage, under a key
    that says which triples the file holds."""

    def export_one(batch: Batch) -> StoredExport:
        def store(download: Download) -> StoredExport:
            key = checkpoint.batch_key(
                destination.folder, batch.triples, batch.start, extension(download)
            )
            stored = destination.exports.put(
                key, download.chunks, download.content_type, download.filename
            )
            destination.keys[batch.start + 1] = key
            return replace(stored, request_id=download.request_id)

        return api.export(batch.triples, store)

    return export_one


def extension(download: Download) -> str:
    if download.filename and PurePosixPath(download.filename).suffix:
        return PurePosixPath(download.filename).suffix.lower()
    content_type = download.content_type.split(";")[0].strip()
    return mimetypes.guess_extension(content_type) or ""


def store_rejects(rejected: list[Rejection], destination: Destination) -> str | None:
    if not rejected:
        return None
    try:
        return destination.exports.put(
            f"{destination.folder}/{REJECTS_FILENAME}",
            [rejects_csv(rejected)],
            REJECTS_CONTENT_TYPE,
            REJECTS_FILENAME,
        ).uri
    except CallFailed as error:
        log_error(f"The rejects report could not be stored: {error}", destination.secrets)
        return None


def store_results(
    batches: list[BatchResult], destination: Destination
) -> tuple[str | None, str | None]:
    """The stored exports merged into one file beside them: its URI, or why there is none."""
    keys = [destination.keys[b.first] for b in batches if b.status == "exported"]
    if not keys:
        return None, "nothing was exported"
    try:
        extension = results.kind(keys)
        filename = RESULTS_STEM + extension
        content = results.merged(extension, keys, destination.exports.open)
        content_type = results.CONTENT_TYPES[extension]
        key = f"{destination.folder}/{filename}"
        return destination.exports.put(key, content, content_type, filename).uri, None
    except results.NotMergeable as error:
        return None, str(error)
    except SmsExportError as error:
        log_error(f"The results file could not be stored: {error}", destination.secrets)
        return None, f"the results file could not be stored: {error.message}"


def store_report(outcome: Outcome, destination: Destination) -> str | None:
    try:
        return destination.exports.put(
            f"{destination.folder}/{REPORT_FILENAME}",
            [render_report(redacted(outcome, destination.secrets)).encode("utf-8")],
            "text/html; charset=utf-8",
            REPORT_FILENAME,
        ).uri
    except CallFailed as error:
        log_error(f"The report could not be stored: {error}", destination.secrets)
        return None


# -- outcome → notify --------------------------------------------------------------------------
def store_outcome(outcome: Outcome, destination: Destination) -> str | None:
    """The outcome as JSON beside the exports: a record that survives a lost notification,
    and the only complete one (log lines and notifications are bounded)."""
    document = json.dumps(
        complete(redacted(outcome, destination.secrets)), indent=2, ensure_ascii=False
    ).encode("utf-8", "backslashreplace")
    try:
        return destination.exports.put(
            f"{destination.folder}/{OUTCOME_FILENAME}",
            [document],
            "application/json",
            OUTCOME_FILENAME,
        ).uri
    except CallFailed as error:
        log_error(f"The outcome could not be stored: {error}", destination.secrets)
        return None


def record(outcome: Outcome, destination: Destination, topic: Topic | None) -> Outcome:
    """The outcome stored, then report.html, then the notification, then the outcome
    stored again. Stored first, it survives a kill or a lost notification, and the report
    links it only if it is there; stored again, it is the complete record: it names the
    report, and says who was told, which is how a duplicate delivery knows it is one. If
    that second write fails, the first one stands, without those two fields, and the next
    delivery notifies again: told twice rather than never."""
    earlier = earlier_record(outcome, destination) if topic is not None else None
    outcome.stored_outcome = store_outcome(outcome, destination)
    if outcome.status != "ignored":
        outcome.report = store_report(outcome, destination)
    reported = report(outcome, destination.secrets, topic, earlier)
    if reported.stored_outcome is not None:
        store_outcome(reported, destination)
    return reported


def earlier_record(outcome: Outcome, destination: Destination) -> Outcome | None:
    """The outcome an earlier run stored for this input, read before this run replaces it,
    and only when it may show this run to be a duplicate: when every batch was resumed."""
    key = f"{destination.folder}/{OUTCOME_FILENAME}"
    if not nothing_new(outcome) or key not in destination.earlier:
        return None
    try:
        with destination.exports.open(key) as stored:
            return Outcome.model_validate_json(stored.stream.read())
    except (SmsExportError, ValueError) as error:  # (pydantic's ValidationError is one)
        log_error(
            f"The earlier outcome is unreadable, so this one is notified: {error}",
            destination.secrets,
        )
        return None


def report(
    outcome: Outcome, secrets: list[str], topic: Topic | None, earlier: Outcome | None = None
) -> Outcome:
    """Publish (when a topic is set and there is news since the `earlier` record), log one
    line, and return the outcome; never a secret. A failed publication is logged and
    shown, never fatal."""
    outcome = redacted(outcome, secrets)
    if topic is not None and worth_notifying(outcome, earlier, topic.topic):
        outcome.notification = redacted(topic.publish(outcome), secrets)
    log_line(outcome)
    return outcome
