"""Huawei Cloud SDK clients (SMS, SMN), all built the same way.

The SDK costs about 220 ms to import, so nothing here is imported before it is used.
"""

from __future__ import annotations

from typing import Any

from sms_export.credentials import HuaweiCredentials


def build_client(
    client_class: Any,
    credentials: HuaweiCredentials,
    endpoints: list[str],
    timeout: tuple[float, float],
    project_id: str | None = None,
) -> Any:
    """A client signing with `credentials` (BasicCredentials: SmsClient accepts no other)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    basic = BasicCredentials(
        credentials.access_key.get_secret_value(),
        credentials.secret_key.get_secret_value(),
        project_id or credentials.project_id,
    )
    if credentials.security_token is not None:
        basic = basic.with_security_token(credentials.security_token.get_secret_value())
    config = HttpConfig.get_default_config()
    config.timeout = timeout
    config.retry_times = 0  # retries are ours: the SDK's never retry a POST on 429
    # Endpoints, not a region: a region without a project id costs an IAM lookup per AK.
    return (
        client_class.new_builder()
        .with_credentials(basic)
        .with_http_config(config)
        .with_endpoints(endpoints)
        .build()
    )


def error_text(error: Exception) -> str:
    """`CODE: message` of an SDK or transport error, for a report."""
    code = getattr(error, "error_code", None) or type(error).__name__
    message = getattr(error, "error_msg", None) or str(error)
    return f"{code}: {message}"[:500]
