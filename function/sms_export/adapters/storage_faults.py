"""Which storage failures a later try could get past: one classification for S3, OBS and
the local folder, so that an unreadable input or a failed write is retried alike."""

from __future__ import annotations

import errno

from sms_export.core.errors import CallFailed, InputError

# Refused before any request, or for the request itself: no later try can succeed.
PERMANENT = {
    "ParamValidationError",  # botocore's own check: an invalid bucket name, say
    "InvalidBucketName",
    "KeyTooLongError",
    "InvalidArgument",
    "InvalidURI",
}
# What S3 answers when it is the store, not the request, that is at fault.
TRANSIENT = {
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "Throttling",
    "ThrottlingException",
    "503",
    "500",
}
TRANSIENT_OS_ERRORS = {errno.ENOSPC, errno.EIO, errno.EAGAIN, errno.EBUSY, errno.EDQUOT}


def may_clear_up(code: str, answered: bool = True, *, only_store_faults: bool = False) -> bool:
    """Whether a later try could succeed. A missing bucket or a refused permission may be
    fixed before the retry, so any failure that is not PERMANENT counts; except, with
    `only_store_faults` (an S3 read), an answer that blames the request (NoSuchKey,
    AccessDenied): there, only the store's own faults and failures without an answer
    (a connection, a timeout, a cut stream) are worth another try."""
    if code in PERMANENT:
        return False
    if only_store_faults:
        return code in TRANSIENT or not answered
    return True


def disk_may_clear_up(error: OSError) -> bool:
    """A full or busy disk may clear up; a bad path or a read-only folder will not."""
    return error.errno in TRANSIENT_OS_ERRORS


def unreadable(uri: str, code: str, retryable: bool) -> InputError:
    return InputError("InputUnreadable", f"Cannot read {uri}: {code}", retryable=retryable)


def failed(code: str, what: str, cause: str, retryable: bool) -> CallFailed:
    return CallFailed(code, f"{what}: {cause}", retryable=retryable)
