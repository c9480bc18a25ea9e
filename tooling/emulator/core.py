"""What every emulated service shares, as moto's `core` does: the call an action gets, the
answer it gives, and the base of each service's wire format (`<service>/responses.py`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal
from urllib.parse import unquote

from emulator.exceptions import ApiError
from emulator.signing import SignedRequest

JSON = "application/json;charset=UTF-8"
# How a service's requests are signed: through the API gateway (which also throttles), or
# with OBS's own signature (OBS is not behind the API gateway).
Signature = Literal["SDK-HMAC-SHA256", "OBS"]
UrlRule = tuple[str, re.Pattern[str], str]  # method, path pattern (matched whole), action


@dataclass(frozen=True)
class Call:
    """An authenticated request, as an action sees it."""

    request_id: str
    access_key: str
    request: SignedRequest
    params: Mapping[str, str]  # the named groups of the URL pattern (and host), raw


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    is_download: bool = False  # a file: a `cut` fault sends half of it


def json_answer(document: object, status: int = 200) -> Answer:
    return Answer(status, json.dumps(document).encode())


class ServiceResponse:
    """One service's wire format: its URL table, its signature, its error answers, and one
    method per action (named as in `urls`), each taking a `Call` and giving an `Answer`.
    The hooks let a service see what only it cares about without the gateway knowing."""

    signature: ClassVar[Signature] = "SDK-HMAC-SHA256"
    # A virtual-hosted service answers the hosts this matches (its groups become params);
    # the others are told apart by path alone.
    host: ClassVar[re.Pattern[str] | None] = None
    urls: ClassVar[tuple[UrlRule, ...]] = ()

    def dispatch(self, action: str, call: Call) -> Answer:
        answer: Answer = getattr(self, action)(call)
        return answer

    def error(self, request_id: str, error: ApiError) -> Answer:
        return json_answer(
            {
                "error_code": error.error_code,
                "error_msg": error.error_msg,
                "request_id": request_id,
            },
            error.status,
        )

    def task_ids(self, call: Call) -> list[str]:
        """The tasks a request names, for faults aimed at one task."""
        return [unquote(call.params["task_id"])] if "task_id" in call.params else []

    def received(self, request: SignedRequest, params: Mapping[str, str]) -> None:
        """Every request, before its signature is checked."""

    def answered(self, action: str, call: Call, status: int) -> None:
        """Every authenticated request that was answered (whatever the status)."""
