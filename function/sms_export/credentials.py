"""Which Huawei Cloud credentials the SMS client signs with, and where they came from."""

from __future__ import annotations

from dataclasses import replace

from pydantic import SecretStr

from sms_export.adapters.platform import Invocation
from sms_export.adapters.secrets import from_secret
from sms_export.core.errors import ConfigurationError
from sms_export.core.models import HuaweiCredentials
from sms_export.settings import Settings


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
