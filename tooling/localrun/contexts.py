"""Context objects shaped like the ones FunctionGraph and Lambda pass to the handler."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    function_name: str = "sms-consistency-export"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    timeout_seconds: float = 300.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:sms-consistency-export"
    )
    log_group_name: str = "/aws/lambda/sms-consistency-export"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


@dataclass
class FunctionGraphContext:
    """The camelCase getters of FunctionGraph's Python runtime; empty strings without agency."""

    access_key: str = ""
    secret_key: str = ""
    security_token: str = ""
    project_id: str = "0123456789abcdef0123456789abcdef"
    timeout_seconds: float = 300.0
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_data: dict[str, str] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)

    def getRequestID(self) -> str:  # noqa: N802 - the runtime's own names
        return self.request_id

    def getRemainingTimeInMilliSeconds(self) -> int:  # noqa: N802
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))

    def getRunningTimeInSeconds(self) -> int:  # noqa: N802 - the configured timeout
        return int(self.timeout_seconds)

    def getSecurityAccessKey(self) -> str:  # noqa: N802
        return self.access_key

    def getSecuritySecretKey(self) -> str:  # noqa: N802
        return self.secret_key

    def getSecurityToken(self) -> str:  # noqa: N802
        return self.security_token

    def getProjectID(self) -> str:  # noqa: N802
        return self.project_id

    def getUserData(self, key: str, default: str | None = None) -> str | None:  # noqa: N802
        return self.user_data.get(key, default)

    def getFunctionName(self) -> str:  # noqa: N802
        return "sms-consistency-export"


@dataclass
class OtcFunctionGraphContext(FunctionGraphContext):
    """Open Telekom Cloud's community Python runtime (fleet-and-quotas.md §4.6): its
    getRunningTimeInSeconds answers in milliseconds (RUNTIME_TIMEOUT times 1000), and its
    remaining time, right in milliseconds, is not clamped at zero."""

    def getRemainingTimeInMilliSeconds(self) -> int:  # noqa: N802
        return int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000)

    def getRunningTimeInSeconds(self) -> int:  # noqa: N802
        return int(self.timeout_seconds * 1000)
