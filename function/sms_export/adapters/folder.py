"""The local export folder (EXPORT_DIR): for the command line and local runs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sms_export.adapters.storage_faults import disk_may_clear_up, unreadable
from sms_export.core.errors import CallFailed
from sms_export.core.ports import StoredExport, StoredObject


@dataclass(frozen=True)
class FolderExports:
    directory: Path

    def open(self, key: str) -> StoredObject:
        try:
            return StoredObject((self.directory / key).open("rb"), None, None)
        except OSError as error:
            where = str(self.directory / key)
            raise unreadable(where, type(error).__name__, disk_may_clear_up(error)) from None

    def existing(self, prefix: str) -> dict[str, StoredExport]:
        folder = self.directory / prefix
        if not folder.is_dir():
            return {}
        return {
            key: StoredExport(
                path.resolve().as_uri(), found.st_size, "", None, key=key, modified=found.st_mtime
            )
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".")
            for key, found in [(path.relative_to(self.directory).as_posix(), path.stat())]
        }

    def put(
        self, key: str, chunks: Iterable[bytes], content_type: str, filename: str | None
    ) -> StoredExport:
        target = self.directory / key
        if not target.resolve().is_relative_to(self.directory.resolve()):
            raise CallFailed(
                "StorageWriteFailed", f"{key} would be outside EXPORT_DIR", retryable=False
            )
        size = 0
        temporary: Path | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename: a half-written file never looks exported.
            descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
            temporary = Path(name)
            with os.fdopen(descriptor, "wb") as file:
                for chunk in chunks:
                    file.write(chunk)
                    size += len(chunk)
            os.replace(temporary, target)
        except BaseException as error:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise CallFailed(
                    "StorageWriteFailed",
                    f"Cannot write {target}: {error.strerror or error}",
                    retryable=disk_may_clear_up(error),
                ) from None
            raise
        return StoredExport(target.resolve().as_uri(), size, content_type, filename)
