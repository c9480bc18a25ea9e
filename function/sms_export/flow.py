"""The whole flow, in order:

    event → inputs → rows → valid batches → export → store → outcome → notify

`handle` recognises the event; `Flow.run` takes one input through every step. The steps
themselves live in their own modules: pure ones (readers, validation, batching, outcome)
and adapters at the edge (triggers, sms, storage, notify).
"""

from __future__ import annotations

import mimetypes
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from sms_export import credentials, platform, triggers
from sms_export.batching import Batch, plan, unique
from sms_export.credentials import HuaweiCredentials
from sms_export.errors import ConfigurationError, InputError
from sms_export.exporting import BatchRunner, ExportOne, RetryPolicy
from sms_export.models import BatchResult, Outcome
from sms_export.notify import log_error, log_line, publish
from sms_export.outcome import failed, ignored, redact, summarise
from sms_export.readers import RawRow, csv_rows, inline_rows
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
from sms_export.triggers import InlineInput, Input, ObjectInput
from sms_export.validation import check_rows

STATUS_ORDER = ("failed", "partial", "succeeded", "ignored")


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Run every input the event carries; return its outcome (or all of them, combined)."""
    invocation = platform.describe(context)
    try:
        settings = Settings.load()
        recognised = triggers.recognise(event)
    except InputError as error:
        outcome = failed(
            trigger="unknown",
            input_uri="event",
            request_id=invocation.request_id,
            code=error.code,
            message=error.message,
        )
        return report(outcome, secrets=[], notify_topic=None)
    flow = Flow(settings, invocation, recognised.trigger)
    reports = [flow.run(source) for source in recognised.inputs]
    if not reports:
        outcome = ignored(
            trigger=recognised.trigger,
            input_uri="event",
            request_id=invocation.request_id,
            reason="the event announces no new object",
        )
        return report(outcome, secrets=[], notify_topic=None)
    if len(reports) == 1:
        return reports[0]
    status = min((each["status"] for each in reports), key=STATUS_ORDER.index)
    return {"status": status, "trigger": recognised.trigger, "outcomes": reports}


class Flow:
    def __init__(self, settings: Settings, invocation: platform.Invocation, trigger: str) -> None:
        self.settings = settings
        self.invocation = invocation
        self.trigger = trigger

    def run(self, source: Input) -> dict[str, Any]:
        started = time.monotonic()
        input_uri = self.uri_of(source)
        if self.is_own_export(source):
            outcome = ignored(
                trigger=self.trigger,
                input_uri=input_uri,
                request_id=self.invocation.request_id,
                reason=f"the object is under EXPORT_PREFIX ({self.settings.export_prefix})",
            )
            return report(outcome, secrets=[], notify_topic=None)
        secrets: list[str] = []
        try:
            signer = credentials.resolve(self.settings, self.invocation)  # before any call
            secrets = signer.secrets()
            storage = self.object_storage(signer)
            exports = self.export_store(source, storage)
            with self.rows(source, storage) as rows:  # inputs → rows
                checked = check_rows(rows)  # rows → valid triples + rejections
            triples, duplicates = unique(checked.valid)
            batches = plan(triples, self.settings.batch_size, self.settings.max_request_bytes)
            results = self.export(batches, signer, exports, self.export_folder(source))
            outcome = summarise(
                trigger=self.trigger,
                input_uri=input_uri,
                request_id=self.invocation.request_id,
                valid=len(checked.valid),
                rejected=checked.rejected,
                duplicates=duplicates,
                batches=results,
            )
        except InputError as error:
            outcome = failed(
                trigger=self.trigger,
                input_uri=input_uri,
                request_id=self.invocation.request_id,
                code=error.code,
                message=error.message,
            )
        except Exception as error:  # a bug must still leave a record, never a bare trace
            log_error(traceback.format_exc(), secrets)
            outcome = failed(
                trigger=self.trigger,
                input_uri=input_uri,
                request_id=self.invocation.request_id,
                code="InternalError",
                message=f"{type(error).__name__}: {error}",
            )
        outcome.duration_ms = round((time.monotonic() - started) * 1000)
        return report(outcome, secrets, self.settings.notify_topic)

    # -- inputs → rows -----------------------------------------------------------------------
    def uri_of(self, source: Input) -> str:
        if isinstance(source, ObjectInput):
            return f"{self.settings.storage_scheme}://{source.bucket}/{source.key}"
        return "inline"

    def is_own_export(self, source: Input) -> bool:
        """Our exports may land in a watched bucket: never let them trigger an export."""
        return isinstance(source, ObjectInput) and source.key.startswith(
            self.settings.export_prefix
        )

    def object_storage(self, signer: HuaweiCredentials) -> ObjectStorage:
        return ObjectStorage(
            lambda: make_s3_client(self.settings, signer), self.settings.storage_scheme
        )

    @contextmanager
    def rows(self, source: Input, storage: ObjectStorage) -> Iterator[Iterator[RawRow]]:
        if isinstance(source, InlineInput):
            yield inline_rows(source.items)
            return
        with storage.open(source.bucket, source.key, source.version_id) as stream:
            yield csv_rows(stream, self.uri_of(source))

    # -- export → store ----------------------------------------------------------------------
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

    def export_folder(self, source: Input) -> str:
        """Deterministic: the same input always maps to the same keys."""
        if isinstance(source, ObjectInput):
            return f"{self.settings.export_prefix}{source.bucket}/{source.key}"
        return f"{self.settings.export_prefix}inline/{self.invocation.request_id}"

    def export(
        self, batches: list[Batch], signer: HuaweiCredentials, exports: ExportStore, folder: str
    ) -> list[BatchResult]:
        if not batches:
            return []
        api = SmsApi(self.settings, signer)  # imports the SDK: only when there is work
        policy = RetryPolicy(
            self.settings.max_attempts,
            self.settings.retry_base_seconds,
            self.settings.retry_max_seconds,
        )
        runner = BatchRunner(
            export_and_store(api, exports, folder), policy, self.settings.max_concurrency
        )
        return runner.run(batches)


def export_and_store(api: SmsApi, exports: ExportStore, folder: str) -> ExportOne:
    """One batch: call the API and stream the answer straight into storage."""

    def export_one(batch: Batch) -> StoredExport:
        def store(download: Download) -> StoredExport:
            key = f"{folder}/batch-{batch.label}{extension(download)}"
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
def report(outcome: Outcome, secrets: list[str], notify_topic: str | None) -> dict[str, Any]:
    """Publish (when a topic is set), log one line, and return the outcome; never a secret."""
    result: dict[str, Any] = redact(outcome.model_dump(mode="json"), secrets)
    if notify_topic and outcome.status != "ignored":
        notification = publish(notify_topic, result)
        result["notification"] = redact(notification.model_dump(mode="json"), secrets)
    log_line(result)
    return result
