"""What the handler returns to the platform, by trigger: the outcome, an HTTP response,
or the SQS partial-batch answer (pure)."""

from __future__ import annotations

import json
from typing import Any

from sms_export.triggers import Reply

STATUS_ORDER = ("failed", "partial", "succeeded", "ignored")
SERVER_SIDE = ("ConfigurationError", "InternalError")


def combined(trigger: str, reports: list[dict[str, Any]]) -> dict[str, Any]:
    if len(reports) == 1:
        return reports[0]
    status = min((report["status"] for report in reports), key=STATUS_ORDER.index)
    return {
        "status": status,
        "trigger": trigger,
        "retryable": any(report["retryable"] for report in reports),
        "outcomes": reports,
    }


def http_status(report: dict[str, Any]) -> int:
    """200 when something was exported; 400 when nothing valid was sent; 502 when the SMS
    API failed; 503 when trying again later may finish the work; 500 when the function
    itself is misconfigured or broken."""
    outcomes = report.get("outcomes", [report])
    codes = {(outcome.get("error") or {}).get("code") for outcome in outcomes}
    if report["status"] == "failed" and codes & set(SERVER_SIDE):
        return 500
    if report.get("retryable", False) and report["status"] != "succeeded":
        return 503  # throttled, server errors or out of time: the same request may succeed
    if report["status"] != "failed":
        return 200
    if any(batch["status"] != "exported" for o in outcomes for batch in o.get("batches", [])):
        return 502
    return 400


def sqs_failures(reports: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Messages to redeliver: those not done that a retry could finish. A message that can
    never succeed (not JSON, no rows, invalid rows) is reported in its outcome and let go."""
    retry = []
    for report in reports:
        message_id = report.get("message_id")
        if message_id and report["retryable"] and message_id not in retry:
            retry.append(message_id)
    return [{"itemIdentifier": message_id} for message_id in retry]


def reply(kind: Reply, trigger: str, reports: list[dict[str, Any]]) -> dict[str, Any]:
    if kind == "sqs":
        return {"batchItemFailures": sqs_failures(reports)}
    report = combined(trigger, reports)
    if kind == "http":
        return {
            "statusCode": http_status(report),
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(report, ensure_ascii=False),
            "isBase64Encoded": False,
        }
    return report
