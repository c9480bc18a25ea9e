"""Where one input's files go: its folder in the export store. Each batch's export is
streamed there, and every other file (the results, the rejected rows, the report, the
outcome) is kept beside them the same way: stored, or logged and left out."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from sms_export.adapters.logs import log_error
from sms_export.adapters.sms import Download, SmsApi
from sms_export.core import checkpoint, results
from sms_export.core.batching import Batch
from sms_export.core.changes import previous_record
from sms_export.core.documents import OUTCOME_FILENAME
from sms_export.core.errors import CallFailed, SmsExportError
from sms_export.core.models import BatchResult, Outcome
from sms_export.core.ports import ExportStore, StoredExport
from sms_export.core.results import RESULTS_STEM
from sms_export.runner import ExportOne


@dataclass
class Destination:
    exports: ExportStore
    folder: str
    secrets: list[str] = field(default_factory=list)
    # What earlier runs stored in the folder, from the one listing a run makes: the batch
    # files it resumes, and whether an earlier record (outcome.json) is there to be read.
    earlier: dict[str, StoredExport] = field(default_factory=dict)
    # Why each file that `keep` could not store was not stored.
    unkept: dict[str, str] = field(default_factory=dict)
    _earlier_outcome: tuple[Outcome | None] | None = field(default=None, repr=False)

    def look_around(self) -> dict[str, StoredExport]:
        """One listing of the folder; a failed one resumes nothing (exports are redone)."""
        try:
            self.earlier = self.exports.existing(self.folder + "/")
        except CallFailed as error:
            log_error(f"Cannot see earlier exports, so none is skipped: {error}", [])
        return self.earlier

    def keep(self, name: str, content: Iterable[bytes], content_type: str) -> str | None:
        """Store a file beside the exports: its URI, or None (and a log line) if it could
        not be stored. The run goes on either way: these files are records, not exports."""
        try:
            return self.exports.put(f"{self.folder}/{name}", content, content_type, name).uri
        except SmsExportError as error:  # a failed write, or an export unreadable midway
            log_error(f"{name} could not be stored: {error}", self.secrets)
            self.unkept[name] = error.message
            return None

    def exporter(self, api: SmsApi) -> ExportOne:
        """One batch: call the API and stream the answer straight into the folder, under a
        key that says which triples the file holds."""

        def export_one(batch: Batch) -> StoredExport:
            def store(download: Download) -> StoredExport:
                key = checkpoint.batch_key(
                    self.folder, batch.triples, batch.start, _extension(download)
                )
                stored = self.exports.put(
                    key, download.chunks, download.content_type, download.filename
                )
                return replace(stored, request_id=download.request_id, key=key)

            return api.export(batch.triples, store)

        return export_one

    def merge(self, batches: list[BatchResult]) -> tuple[str | None, str | None]:
        """The stored exports merged into one results file beside them: its URI, or why
        there is none."""
        keys = [batch.key for batch in batches if batch.status == "exported" and batch.key]
        if not keys:
            return None, "nothing was exported"
        try:
            extension = results.kind(keys)
            content = results.merged(extension, keys, self.exports.open)
            name = RESULTS_STEM + extension
            uri = self.keep(name, content, results.CONTENT_TYPES[extension])
        except results.NotMergeable as error:
            return None, str(error)
        if uri is None:
            return None, f"the results file could not be stored: {self.unkept[name]}"
        return uri, None

    def earlier_outcome(self) -> Outcome | None:
        """The outcome an earlier delivery stored here, if the listing saw one: read once,
        before this run replaces it."""
        key = f"{self.folder}/{OUTCOME_FILENAME}"
        if key not in self.earlier:
            return None
        if self._earlier_outcome is None:
            self._earlier_outcome = (self._outcome(key),)
        return self._earlier_outcome[0]

    def previous_run(self, lineage: str) -> tuple[Outcome, str] | None:
        """The outcome of the previous run of the same input (another revision of the
        object, the previous discovery), and where it is: one listing, one read."""
        try:
            stored = self.exports.existing(lineage)
        except CallFailed as error:
            log_error(f"Cannot see earlier runs, so no change is shown: {error}", self.secrets)
            return None
        modified = {key: found.modified for key, found in stored.items()}
        key = previous_record(modified, lineage, self.folder, OUTCOME_FILENAME)
        outcome = self._outcome(key) if key else None
        return (outcome, stored[key].uri) if outcome and key else None

    def _outcome(self, key: str) -> Outcome | None:
        try:
            with self.exports.open(key) as stored:
                return Outcome.model_validate_json(stored.stream.read())
        except (SmsExportError, ValueError) as error:  # (pydantic's ValidationError is one)
            log_error(f"The earlier outcome is unreadable: {error}", self.secrets)
            return None


def _extension(download: Download) -> str:
    if download.filename and PurePosixPath(download.filename).suffix:
        return PurePosixPath(download.filename).suffix.lower()
    content_type = download.content_type.split(";")[0].strip()
    return mimetypes.guess_extension(content_type) or ""
