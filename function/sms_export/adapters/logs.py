"""Structured log lines on stdout, which both platforms ship to their log service."""

from __future__ import annotations

import json
import sys
from typing import Any


def log_json(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def log_event(level: str, message: str, **fields: Any) -> None:
    log_json({"level": level, "message": message, **fields})
