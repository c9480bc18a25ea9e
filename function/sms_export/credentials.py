"""Which Huawei Cloud credentials the SMS client signs with, and where they came from."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from pydantic import SecretStr

from sms_export.adapters.platform import Invocation
from sms_export.core.errors import ConfigurationError
from sms_export.core.models import HuaweiCredentials
from sms_export.settings import Settings, key_text


def _pair(
    ak: SecretStr | None, sk: SecretStr | None, ak_name: str, sk_name: str
) -> tuple[SecretStr, SecretStr] | None:
    if ak is None and sk is None:
        return None
    if ak is None or sk is None:
        present, missing = (ak_name, sk_name) if ak is not None else (sk_name, ak_name)
        raise ConfigurationError(f"{present} is set but {missing} is not: set both or neither.")
    return ak, sk


def resolve(settings: Settings, invocation: Invocation) -> HuaweiCredentials:
    """The first complete source wins: CLOUD_SDK_*, then HUAWEICLOUD_SDK_*, then the
    Secrets Manager secret named by HUAWEI_CREDENTIALS_SECRET, then the FunctionGraph agency."""
    project_id = settings.huaweicloud_sdk_project_id or invocation.project_id
    sample_pair = _pair(
        settings.cloud_sdk_ak, settings.cloud_sdk_sk, "CLOUD_SDK_AK", "CLOUD_SDK_SK"
    )
    if sample_pair is not None:
        return HuaweiCredentials(
            *sample_pair, project_id=project_id, source="CLOUD_SDK_AK/CLOUD_SDK_SK"
        )
    sdk_pair = _pair(
        settings.huaweicloud_sdk_ak,
        settings.huaweicloud_sdk_sk,
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
    )
    if sdk_pair is not None:
        return HuaweiCredentials(
            *sdk_pair,
            settings.huaweicloud_sdk_security_token,
            project_id,
            source="HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK",
        )
    if settings.huawei_credentials_secret:
        return from_secret(settings.huawei_credentials_secret, project_id)
    if invocation.temporary_credentials is not None:
        return replace(invocation.temporary_credentials, project_id=project_id)
    raise ConfigurationError(
        "No Huawei Cloud credentials: set CLOUD_SDK_AK and CLOUD_SDK_SK (or HUAWEICLOUD_SDK_AK, "
        "HUAWEICLOUD_SDK_SK and optionally HUAWEICLOUD_SDK_SECURITY_TOKEN), or, on AWS, "
        "HUAWEI_CREDENTIALS_SECRET, or, on FunctionGraph, give the function an agency so that "
        "it receives temporary credentials."
    )


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
