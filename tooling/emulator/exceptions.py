"""What the emulated endpoints answer with when they refuse a request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiError(Exception):
    """An error answer: HTTP status and the API's own code and message."""

    status: int
    error_code: str
    error_msg: str


@dataclass(frozen=True)
class SignatureRejected(Exception):
    """Why the gateway refused a request: the APIGW code and message it answers with."""

    error_code: str
    error_msg: str
    access_key: str | None = None


NO_SUCH_API = ApiError(404, "APIGW.0101", "The API does not exist or has not been published")
