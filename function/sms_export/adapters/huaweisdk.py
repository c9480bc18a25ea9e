"""Huawei Cloud SDK clients (SMS, SMN), all built the same way.

The SDK costs about 220 ms to import, so nothing here is imported before it is used.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sms_export.adapters.logs import log_event
from sms_export.core.models import HuaweiCredentials

# FunctionGraph's runtime bundles its own, older copies of these (huaweicloudsdkcore 3.1.111,
# requests 2.24, urllib3 1.25 on Python 3.12): the package's copies must be the ones loaded.
REPORTED_LIBRARIES = ("huaweicloudsdkcore", "requests", "urllib3")


def build_client(
    client_class: Any,
    credentials: HuaweiCredentials,
    endpoints: list[str],
    timeout: tuple[float, float],
    project_id: str | None = None,
    signer: Any = None,
) -> Any:
    """A client signing with `credentials`: BasicCredentials (SmsClient accepts no other),
    unless the service wants its own kind, given as `signer` (OBS's ObsCredentials)."""
    report_libraries()
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    if signer is None:
        signer = BasicCredentials(
            credentials.access_key.get_secret_value(),
            credentials.secret_key.get_secret_value(),
            project_id or credentials.project_id,
        )
        if credentials.security_token is not None:
            signer = signer.with_security_token(credentials.security_token.get_secret_value())
    config = HttpConfig.get_default_config()
    config.timeout = timeout
    config.retry_times = 0  # retries are ours: the SDK's never retry a POST on 429
    # Endpoints, not a region: a region without a project id costs an IAM lookup per AK.
    return (
        client_class.new_builder()
        .with_credentials(signer)
        .with_http_config(config)
        .with_endpoints(endpoints)
        .build()
    )


def error_text(error: Exception) -> str:
    """`CODE: message` of an SDK or transport error, for a report."""
    code = getattr(error, "error_code", None) or type(error).__name__
    message = getattr(error, "error_msg", None) or str(error)
    return f"{code}: {message}"[:500]


@cache
def report_libraries() -> dict[str, dict[str, str]]:
    """Once per process, when the SDK is first needed: which copies of the libraries that
    FunctionGraph also bundles were loaded, as a log line."""
    import importlib
    from importlib.metadata import PackageNotFoundError, version

    loaded: dict[str, dict[str, str]] = {}
    for name in REPORTED_LIBRARIES:
        module = importlib.import_module(name)
        try:
            found = version(name)
        except PackageNotFoundError:
            found = str(getattr(module, "__version__", "unknown"))
        loaded[name] = {"version": found, "path": str(getattr(module, "__file__", ""))}
    log_event("INFO", "sms-consistency-export libraries", libraries=loaded)
    return loaded
