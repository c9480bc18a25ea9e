"""The whole flow, in order:

    event → inputs → rows → valid batches → export → store → outcome → notify

`handle` recognises the event; `Flow.run` takes one input through every step. The steps
themselves live in their own modules: pure ones (readers, validation, batching, outcome,
replies) and adapters at the edge (triggers, sms, storage, notify).
"""

from __future__ import annotations

import io
import json
import mimetypes
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property, partial
from pathlib import Path, PurePosixPath
from typing import Any

from sms_export import credentials, platform, triggers
from sms_export.batching import Batch, plan, unique
from sms_export.credentials import HuaweiCredentials
from sms_export.errors import ConfigurationError, ExportError, InputError, RetryLater
from sms_export.exporting import BatchRunner, ExportOne, retry_policy
from sms_export.models import BatchResult, Outcome, Problem, Rejection
from sms_export.notify import Topic, log_error, log_line, topic_for
from sms_export.outcome import Subject, failed, ignored, redact, summarise, worth_notifying
from sms_export.progress import Progress, Silent, counted
from sms_export.readers import Limits, RawRow, Tally, inline_rows, read_rows
from sms_export.rejects import CONTENT_TYPE as REJECTS_CONTENT_TYPE
from sms_export.rejects import FILENAME as REJECTS_FILENAME
from sms_export.rejects import rejects_csv
from sms_export.replies import reply
from sms_export.settings import Settings
from sms_export.sms import Download, SmsApi
from sms_export.storage import (
    BucketExports,
    ExportStore,
    FolderExports,
    ObjectStorage,
    StoredExport,
    make_s3_client,
)
from sms_export.triggers import (
    DiscoveryInput,
    DocumentInput,
    InlineInput,
    Input,
    ObjectInput,
    UnusableInput,
)
from sms_export.validation import CheckedRows, check_rows

OUTCOME_FILENAME = "outcome.json"


@dataclass(frozen=True)
class Reading:
    rows: Iterator[RawRow]
    revision: str | None = None  # of a stored object: its version id, else its ETag


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Run every input the event carries; answer the platform in the trigger's own terms."""
    invocation = platform.describe(context)
    try:
        recognised = triggers.recognise(event)
    except InputError as error:
        return reject_event(error, invocation, Settings.load_or_none(invocation.user_data))
    try:
        settings = Settings.load(invocation.user_data)
    except ConfigurationError as error:
        reports = [
            report(failed(subject, problem(error)), [], None)
            for subject in subjects(recognised, invocation)
        ]
    else:
        flow = Flow(settings, invocation, recognised.trigger)
        reports = [flow.run(source) for source in recognised.inputs]
    if not reports and recognised.reply != "sqs":
        subject = Subject(recognised.trigger, "event", invocation.request_id)
        reports = [report(ignored(subject, "the event announces nothing to export"), [], None)]
    answer = reply(recognised.reply, recognised.trigger, reports)
    unfinished = [each for each in reports if each["retryable"]]
    if unfinished and recognised.reply == "outcome":
        # Asynchronous platforms retry a failed invocation; the retry resumes the work.
        raise RetryLater(
            f"{len(unfinished)} of {len(reports)} inputs left work that a retry can finish "
            "(throttling, server errors, time running out, a setting to fix); see the "
            "outcome log line",
            answer,
        )
    return answer


def reject_event(
    error: InputError, invocation: platform.Invocation, settings: Settings | None
) -> dict[str, Any]:
    """An event we do not understand: logged, notified as failed, never a stack trace."""
    subject = Subject("unknown", "event", invocation.request_id)
    signer = None
    if settings is not None:
        try:
            signer = credentials.resolve(settings, invocation)  # SMN needs them to publish
        except InputError:
            signer = None
    topic = topic_for(settings, signer) if settings else None
    return report(failed(subject, problem(error)), signer.secrets() if signer else [], topic)


def subjects(recognised: triggers.Recognised, invocation: platform.Invocation) -> list[Subject]:
    return [
        Subject(recognised.trigger, uri_of(source, "s3"), invocation.request_id, source.origin)
        for source in recognised.inputs
    ] or [Subject(recognised.trigger, "event", invocation.request_id)]


def problem(error: InputError) -> Problem:
    return Problem(code=error.code, message=error.message, retryable=error.retryable)


def uri_of(source: Input, scheme: str) -> str:
    if isinstance(source, ObjectInput):
        return f"{scheme}://{source.bucket}/{source.key}"
    if isinstance(source, DiscoveryInput):
        return "discovery"
    if isinstance(source, DocumentInput) and source.name:
        return source.name
    return "inline"


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
        self._edges: Edges | None = None

    def run(self, source: Input) -> dict[str, Any]:
        started = time.monotonic()
        subject = Subject(
            self.trigger,
            uri_of(source, self.settings.storage_scheme),
            self.invocation.request_id,
            source.origin,
        )
        if self.is_own_export(source):
            reason = f"the object is under EXPORT_PREFIX ({self.settings.export_prefix})"
            return report(ignored(subject, reason), [], None)
        secrets: list[str] = []
        signer: HuaweiCredentials | None = None
        destination: tuple[ExportStore, str] | None = None  # where this input's files go
        try:
            if isinstance(source, UnusableInput):
                raise source.error
            signer = credentials.resolve(self.settings, self.invocation)  # before any call
            secrets = signer.secrets()
            edges = self.edges(signer)
            exports = self.export_store(source, edges.storage)
            tally = Tally()
            with self.read(source, edges, tally) as reading:  # inputs → rows
                checked = check_rows(counted(reading.rows, self.progress))  # → valid + rejected
            folder = self.export_folder(source, reading.revision)
            destination = (exports, folder)
            if not checked.valid and not checked.rejected and isinstance(source, DiscoveryInput):
                outcome = ignored(subject, "discovery found no source with consistency results")
            else:
                outcome = self.export_rows(subject, checked, edges, exports, folder)
                outcome.rows.blank, outcome.rows.comments = tally.blank, tally.comments
                outcome.rejects_report = self.store_rejects(checked.rejected, exports, folder)
        except InputError as error:
            outcome = failed(subject, problem(error))
        except Exception as error:  # a bug must still leave a record, never a bare trace
            log_error(traceback.format_exc(), secrets)
            outcome = failed(
                subject, Problem(code="InternalError", message=f"{type(error).__name__}: {error}")
            )
        outcome.duration_ms = round((time.monotonic() - started) * 1000)
        if destination is not None:
            outcome.stored_outcome = store_outcome(outcome, *destination, secrets)
        return report(outcome, secrets, topic_for(self.settings, signer))

    def edges(self, signer: HuaweiCredentials) -> Edges:
        """One set of clients for every input of the invocation (an SQS batch has up to ten;
        a boto3 client costs tens of milliseconds to make)."""
        if self._edges is None or self._edges.signer != signer:
            self._edges = Edges(self.settings, signer)
        return self._edges

    # -- inputs → rows -----------------------------------------------------------------------
    def is_own_export(self, source: Input) -> bool:
        """Our exports may land in a watched bucket: never let them trigger an export."""
        return isinstance(source, ObjectInput) and source.key.startswith(
            self.settings.export_prefix
        )

    @contextmanager
    def read(self, source: Input, edges: Edges, tally: Tally) -> Iterator[Reading]:
        limits = Limits(self.settings.max_input_bytes, self.settings.max_rows)
        if isinstance(source, InlineInput):
            yield Reading(inline_rows(source.items))
        elif isinstance(source, DocumentInput):
            yield Reading(
                read_rows(
                    io.BytesIO(source.content),
                    source.name or "the request body",
                    content_type=source.content_type,
                    limits=limits,
                    tally=tally,
                )
            )
        elif isinstance(source, ObjectInput):
            with edges.storage.open(source.bucket, source.key, source.version_id) as stored:
                yield Reading(
                    read_rows(
                        stored.stream,
                        source.key,
                        content_type=stored.content_type,
                        limits=limits,
                        tally=tally,
                    ),
                    stored.revision,
                )
        elif isinstance(source, DiscoveryInput):
            filters = (
                source.filters
                if source.filters is not None
                else (self.settings.discover_filters or {})
            )
            yield Reading(inline_rows(self.discovered(edges, filters)))
        else:
            raise TypeError(f"no reader for {type(source).__name__}")

    def discovered(self, edges: Edges, filters: dict[str, Any] | Any) -> list[dict[str, Any]]:
        try:
            return list(edges.sms.list_sources(filters, retry=retry_policy(self.settings)))
        except ExportError as error:
            raise InputError(
                "DiscoveryFailed",
                f"ListServers failed: {error.error_code} ({error.error_msg})",
                retryable=error.retryable,
            ) from None

    # -- valid batches → export → store → outcome --------------------------------------------
    def export_rows(
        self,
        subject: Subject,
        checked: CheckedRows,
        edges: Edges,
        exports: ExportStore,
        folder: str,
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
        batches = plan(triples, self.settings.batch_size, self.settings.max_request_bytes)
        self.progress.batches_planned(len(batches))
        return outcome(batches=self.export(batches, edges, exports, folder))

    def store_rejects(
        self, rejected: list[Rejection], exports: ExportStore, folder: str
    ) -> str | None:
        if not rejected:
            return None
        report = rejects_csv(rejected)
        try:
            stored = exports.put(
                f"{folder}/{REJECTS_FILENAME}", [report], REJECTS_CONTENT_TYPE, REJECTS_FILENAME
            )
        except ExportError as error:
            log_error(f"The rejects report could not be stored: {error}", [])
            return None
        return stored.uri

    def export_store(self, source: Input, storage: ObjectStorage) -> ExportStore:
        settings = self.settings
        if settings.export_bucket and settings.export_dir:
            raise ConfigurationError("Set EXPORT_BUCKET or EXPORT_DIR, not both.")
        if settings.export_dir:
            return FolderExports(Path(settings.export_dir))
        bucket = settings.export_bucket or (
            source.bucket if isinstance(source, ObjectInput) else None
        )
        if not bucket:
            raise ConfigurationError(
                "Set EXPORT_BUCKET (or EXPORT_DIR) to say where the exported files go."
            )
        return BucketExports(storage, bucket)

    def export_folder(self, source: Input, revision: str | None) -> str:
        """Deterministic: the same input maps to the same keys, so stored exports are the
        checkpoint. An object's revision (version id, else ETag) is part of it: a re-upload
        with new content is exported anew, a duplicate delivery of the same upload is not."""
        if isinstance(source, ObjectInput):
            folder = f"{self.settings.export_prefix}{source.bucket}/{source.key}"
            return f"{folder}/{revision}" if revision else folder
        kind = "discovery" if isinstance(source, DiscoveryInput) else "inline"
        return f"{self.settings.export_prefix}{kind}/{source.origin or self.invocation.request_id}"

    def export(
        self, batches: list[Batch], edges: Edges, exports: ExportStore, folder: str
    ) -> list[BatchResult]:
        if not batches:
            return []
        runner = BatchRunner(
            export_and_store(edges.sms, exports, folder, self.earlier_exports(exports, folder)),
            retry_policy(self.settings),
            self.settings.max_concurrency,
            time_left=self.invocation.seconds_left,
            margin_seconds=self.settings.deadline_margin_seconds,
            progress=self.progress,
        )
        return runner.run(batches)

    @staticmethod
    def earlier_exports(exports: ExportStore, folder: str) -> dict[str, StoredExport]:
        """Batch files an earlier run stored, by stem (`…/batch-0003`)."""
        try:
            found = exports.existing(folder + "/")
        except ExportError as error:
            log_error(f"Cannot see earlier exports, so none is skipped: {error}", [])
            return {}
        return {
            key.rsplit("/", 1)[0] + "/" + key.rsplit("/", 1)[-1].split(".", 1)[0]: stored
            for key, stored in found.items()
            if "/batch-" in key
        }


class Edges:
    """The adapters one input needs, built on first use (the SDK and boto3 are heavy)."""

    def __init__(self, settings: Settings, signer: HuaweiCredentials) -> None:
        self.settings = settings
        self.signer = signer

    @cached_property
    def sms(self) -> SmsApi:
        return SmsApi(self.settings, self.signer)

    @cached_property
    def storage(self) -> ObjectStorage:
        return ObjectStorage(
            lambda: make_s3_client(self.settings, self.signer), self.settings.storage_scheme
        )


def export_and_store(
    api: SmsApi, exports: ExportStore, folder: str, earlier: dict[str, StoredExport]
) -> ExportOne:
    """One batch: skip it if an earlier run stored it, else call the API and stream the
    answer straight into storage."""

    def export_one(batch: Batch) -> StoredExport:
        stem = f"{folder}/batch-{batch.label}"
        if stem in earlier:
            return replace(earlier[stem], resumed=True)

        def store(download: Download) -> StoredExport:
            key = f"{stem}{extension(download)}"
            stored = exports.put(key, download.chunks, download.content_type, download.filename)
            return replace(stored, request_id=download.request_id)

        return api.export(batch.triples, store)

    return export_one


def extension(download: Download) -> str:
    if download.filename and PurePosixPath(download.filename).suffix:
        return PurePosixPath(download.filename).suffix.lower()
    content_type = download.content_type.split(";")[0].strip()
    return mimetypes.guess_extension(content_type) or ""


# -- outcome → notify --------------------------------------------------------------------------
def store_outcome(
    outcome: Outcome, exports: ExportStore, folder: str, secrets: list[str]
) -> str | None:
    """The outcome as JSON beside the exports: a record that survives a lost notification."""
    document = json.dumps(
        redact(outcome.model_dump(mode="json"), secrets), indent=2, ensure_ascii=False
    ).encode("utf-8")
    try:
        return exports.put(
            f"{folder}/{OUTCOME_FILENAME}", [document], "application/json", OUTCOME_FILENAME
        ).uri
    except ExportError as error:
        log_error(f"The outcome could not be stored: {error}", secrets)
        return None


def report(outcome: Outcome, secrets: list[str], topic: Topic | None) -> dict[str, Any]:
    """Publish (when a topic is set and there is news), log one line, and return the
    outcome; never a secret. A failed publication is logged and shown, never fatal."""
    result: dict[str, Any] = redact(outcome.model_dump(mode="json"), secrets)
    if topic is not None and worth_notifying(outcome):
        notification = topic.publish(result)
        result["notification"] = redact(notification.model_dump(mode="json"), secrets)
    log_line(result)
    return result
