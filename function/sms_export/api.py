"""The public entry points: the platforms' handler, and a local file's export for the
command line and for scripts. Both take an input through the same flow."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sms_export.adapters import platform
from sms_export.core.models import Outcome
from sms_export.core.triggers import DocumentInput
from sms_export.flow import Flow, handle
from sms_export.progress import Progress
from sms_export.settings import Settings

__all__ = ["export_file", "handle"]


def export_file(path: Path, settings: Settings, progress: Progress | None = None) -> Outcome:
    """Export the rows of a local file in any accepted format. Its exports are kept under
    its name and a digest of its content, so a second run of the same file resumes."""
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:12]
    source = DocumentInput(content, origin=f"{path.stem}-{digest}", name=path.name)
    return Flow(settings, platform.describe(None), "cli", progress).run(source)
