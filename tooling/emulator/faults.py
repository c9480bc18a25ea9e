"""Scripted misbehaviour: what the gateway makes of a call instead of (or besides) the
service's own answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["status", "drop", "hang", "cut"]


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, consumed by the next API call that reaches the gateway."""

    kind: FaultKind
    status: int = 0
    error_code: str = ""
    error_msg: str = ""
    seconds: float = 0.0

    @classmethod
    def throttle(cls) -> Fault:
        return cls(
            "status",
            429,
            "APIGW.0308",
            "The throttling threshold has been reached: policy user over ratelimit",
        )

    @property
    def from_gateway(self) -> bool:
        """The gateway's own answers (throttling) come back at once: the call never reached
        the service, so it costs none of the service's latency."""
        return self.kind == "status" and self.error_code.startswith("APIG")

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status, "SMS.2007", "Background exception")

    @classmethod
    def sms_error(cls, status: int, error_code: str, error_msg: str) -> Fault:
        return cls("status", status, error_code, error_msg)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection before answering."""
        return cls("drop")

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """Answer only after `seconds`, long enough to trip the client's read timeout."""
        return cls("hang", seconds=seconds)

    @classmethod
    def cut_download(cls) -> Fault:
        """Send the headers and half of the file, then close the connection."""
        return cls("cut")
