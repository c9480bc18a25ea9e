"""The public entry points: the platforms' handler, and a local file's export for the
command line and for scripts. Both take each input through the same flow."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sms_export import credentials
from sms_export.adapters import platform
from sms_export.clients import topic_for
from sms_export.core import triggers
from sms_export.core.errors import ConfigurationError, RetryLater, SmsExportError
from sms_export.core.models import Outcome
from sms_export.core.outcome import Subject, failed, ignored, problem
from sms_export.core.redaction import redacted
from sms_export.core.replies import reply
from sms_export.core.triggers import DocumentInput
from sms_export.flow import Flow, announce
from sms_export.progress import Progress
from sms_export.settings import Settings

__all__ = ["export_file", "handle"]


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


def export_file(path: Path, settings: Settings, progress: Progress | None = None) -> Outcome:
    """Export the rows of a local file in any accepted format. Its exports are kept under
    its name and a digest of its content, so a second run of the same file resumes."""
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:12]
    source = DocumentInput(content, origin=f"{path.stem}-{digest}", name=path.name)
    return Flow(settings, platform.describe(None), "cli", progress).run(source)
