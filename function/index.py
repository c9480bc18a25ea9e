"""Entry point for both platforms: FunctionGraph `index.handler` and Lambda `index.handler`."""

from typing import Any

from sms_export.api import handle


def handler(event: Any, context: Any) -> dict[str, Any]:
    return handle(event, context)
