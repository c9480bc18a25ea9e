"""Huawei Cloud keys kept in AWS Secrets Manager (HUAWEI_CREDENTIALS_SECRET): read through
boto3, checked as the environment's keys are, and cached across warm invocations."""

from __future__ import annotations

import json
import time

from pydantic import SecretStr

from sms_export.core.errors import ConfigurationError
from sms_export.core.models import HuaweiCredentials
from sms_export.settings import key_text

SECRET_CACHE_SECONDS = 300.0
_secrets: dict[str, tuple[float, HuaweiCredentials]] = {}  # survives warm invocations


def from_secret(secret_id: str, project_id: str | None) -> HuaweiCredentials:
    """{"ak": …, "sk": …, "project_id": …} from Secrets Manager, cached for five minutes."""
    cached = _secrets.get(secret_id)
    if cached is not None and time.monotonic() - cached[0] < SECRET_CACHE_SECONDS:
        return cached[1]
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        text = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    except (ClientError, BotoCoreError, KeyError) as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        raise ConfigurationError(
            f"Cannot read the secret HUAWEI_CREDENTIALS_SECRET ({secret_id}): {code}"
        ) from None
    try:
        document = json.loads(text)
        keys = {name: str(document[name]) for name in ("ak", "sk")}
        project_id = document.get("project_id") or project_id
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigurationError(
            f'The secret {secret_id} must be JSON with "ak" and "sk" (and optionally "project_id")'
        ) from None
    for name, value in keys.items():
        try:
            keys[name] = key_text(value)
        except ValueError as problem:
            raise ConfigurationError(f'The secret {secret_id}\'s "{name}" {problem}') from None
    credentials = HuaweiCredentials(
        SecretStr(keys["ak"]),
        SecretStr(keys["sk"]),
        project_id=project_id,
        source="HUAWEI_CREDENTIALS_SECRET",
    )
    if not all(credentials.secrets()[:2]):
        raise ConfigurationError(
            f"The secret {secret_id} holds no keys yet: put them with "
            "aws secretsmanager put-secret-value"
        )
    _secrets[secret_id] = (time.monotonic(), credentials)
    return credentials
