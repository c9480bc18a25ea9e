"""The whole flow, in order:

event → inputs → rows → valid batches → export → store → outcome → notify
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from sms_export import credentials, platform, triggers
from sms_export.batching import Batch, plan, unique
from sms_export.errors import ConfigurationError, InputError
from sms_export.exporting import BatchRunner, RetryPolicy
from sms_export.notify import log_line, publish
from sms_export.outcome import failed, redact, summarise
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
        report = failed(
            trigger="unknown",
            input_uri="event",
            request_id=invocation.request_id,
            code=error.code,
            message=error.message,
        ).model_dump(mode="json")
        log_line(report)
        return report
    flow = Flow(settings, invocation, recognised.trigger)
    reports = [flow.run(source) for source in recognised.inputs]
    if len(reports) == 1:
        return reports[0]
    if not reports:
        return flow.ignored("event", "the event announces no new object")
    status = min((report["status"] for report in reports), key=STATUS_ORDER.index)
    return {"status": status, "trigger": recognised.trigger, "outcomes": reports}


class Flow:
    def __init__(self, settings: Settings, invocation: platform.Invocation, trigger: str) -> None:
        self.settings = settings
        self.invocation = invocation
        self.trigger = trigger
        self._storage: ObjectStorage | None = None

    def run(self, source: Input) -> dict[str, Any]:
        started = time.monotonic()
        input_uri = self.uri_of(source)
        if isinstance(source, ObjectInput) and source.key.startswith(self.settings.export_prefix):
            return self.ignored(
                input_uri,
                f"the object is under EXPORT_PREFIX "
                f"({self.settings.export_prefix}): our own export",
            )
        secrets: list[str] = []
        try:
            signer = credentials.resolve(self.settings, self.invocation)
            secrets = signer.secrets()
            exports = self.export_store(source)
            with self.rows(source) as rows:
                checked = check_rows(rows)
            triples, duplicates = unique(checked.valid)
            batches = plan(triples, self.settings.batch_size, self.settings.max_request_bytes)
            results = []
            if batches:
                api = SmsApi(self.settings, signer)
                export_one = self.export_and_store(api, exports, self.export_folder(source))
                results = BatchRunner(
                    export_one, self.retry_policy(), self.settings.max_concurrency
                ).run(batches)
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
        outcome.duration_ms = round((time.monotonic() - started) * 1000)
        report: dict[str, Any] = redact(outcome.model_dump(mode="json"), secrets)
        if self.settings.notify_topic:
            notification = publish(self.settings.notify_topic, report)
            report["notification"] = redact(notification.model_dump(mode="json"), secrets)
        log_line(report)
        return report

    # -- inputs → rows -----------------------------------------------------------------------
    def uri_of(self, source: Input) -> str:
        if isinstance(source, ObjectInput):
            return f"{self.settings.storage_scheme}://{source.bucket}/{source.key}"
        return "inline"

    @contextmanager
    def rows(self, source: Input) -> Iterator[Iterator[RawRow]]:
        if isinstance(source, InlineInput):
            yield inline_rows(source.items)
            return
        with self.storage.open(source.bucket, source.key, source.version_id) as stream:
            yield csv_rows(stream, self.uri_of(source))

    # -- export → store ----------------------------------------------------------------------
    @property
    def storage(self) -> ObjectStorage:
        if self._storage is None:
            self._storage = ObjectStorage(
                make_s3_client(self.settings), self.settings.storage_scheme
            )
        return self._storage

    def export_store(self, source: Input) -> ExportStore:
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
        return BucketExports(self.storage, bucket)

    def export_folder(self, source: Input) -> str:
        """Deterministic: the same input always maps to the same keys."""
        if isinstance(source, ObjectInput):
            return f"{self.settings.export_prefix}{source.bucket}/{source.key}"
        return f"{self.settings.export_prefix}inline/{self.invocation.request_id}"

    @staticmethod
    def export_and_store(api: SmsApi, exports: ExportStore, folder: str) -> Any:
        def export_one(batch: Batch) -> StoredExport:
            def store(download: Download) -> StoredExport:
                key = f"{folder}/batch-{batch.label}{extension(download)}"
                stored = exports.put(key, download.chunks, download.content_type, download.filename)
                return replace(stored, request_id=download.request_id)

            return api.export(batch.triples, store)

        return export_one

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            self.settings.max_attempts,
            self.settings.retry_base_seconds,
            self.settings.retry_max_seconds,
        )

    # -- outcome -----------------------------------------------------------------------------
    def ignored(self, input_uri: str, reason: str) -> dict[str, Any]:
        report = failed(
            trigger=self.trigger,
            input_uri=input_uri,
            request_id=self.invocation.request_id,
            code="Ignored",
            message=reason,
        )
        report.status = "ignored"
        result = report.model_dump(mode="json")
        log_line(result)
        return result


def extension(download: Download) -> str:
    if download.filename and PurePosixPath(download.filename).suffix:
        return PurePosixPath(download.filename).suffix.lower()
    content_type = download.content_type.split(";")[0].strip()
    return mimetypes.guess_extension(content_type) or ""
