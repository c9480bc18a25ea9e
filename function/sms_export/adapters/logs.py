"""Structured log lines on stdout, which both platforms ship to their log service, and
scrubbed error text on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from sms_export.core.documents import LOG_LINE_LIMIT, bounded
from sms_export.core.models import Outcome
from sms_export.core.redaction import redact


def log_json(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def log_event(level: str, message: str, **fields: Any) -> None:
    log_json({"level": level, "message": message, **fields})


def log_line(outcome: Outcome) -> None:
    """One line of JSON for an outcome; at most LOG_LINE_LIMIT bytes whatever the input's
    size (outcome.json has everything)."""
    log_event("INFO", "sms-consistency-export outcome", **bounded(outcome, LOG_LINE_LIMIT - 100))


def log_error(text: str, secrets: list[str]) -> None:
    """Tracebacks go to stderr, scrubbed like everything else."""
    sys.stderr.write(str(redact(text, secrets)) + "\n")
    sys.stderr.flush()


def metrics_not_published(service: str, error: str, secrets: list[str]) -> None:
    log_event(
        "WARNING",
        "sms-consistency-export metrics not published",
        service=service,
        error=str(redact(error, secrets)),
    )
