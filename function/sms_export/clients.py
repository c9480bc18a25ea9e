"""The clients an invocation talks through, each built once, on first use: the SMS SDK and
boto3 are the heaviest imports of the function, and a run that fails early needs neither."""

from __future__ import annotations

from functools import cached_property

from sms_export.adapters.platform import Invocation
from sms_export.adapters.sms import SmsApi
from sms_export.core.models import HuaweiCredentials
from sms_export.core.ports import Publisher, Storage, Topic
from sms_export.settings import MetricsMode, Settings

# METRICS=auto: the platform's own monitoring service, nothing on a local run.
AUTO_METRICS: dict[str, MetricsMode] = {"lambda": "emf", "functiongraph": "ces"}


class Clients:
    def __init__(self, settings: Settings, signer: HuaweiCredentials) -> None:
        self.settings = settings
        self.signer = signer

    @cached_property
    def sms(self) -> SmsApi:
        return SmsApi(self.settings, self.signer)

    @cached_property
    def storage(self) -> Storage:
        """OBS through its own SDK where STORAGE_ENDPOINT names it (FunctionGraph, whose
        package carries no boto3), else S3 through boto3."""
        if self.settings.storage_endpoint:
            from sms_export.adapters.obs import ObsStorage

            return ObsStorage(self.settings.storage_endpoint, self.signer)
        from sms_export.adapters.s3 import S3Storage

        return S3Storage()


def topic_for(settings: Settings, credentials: HuaweiCredentials | None) -> Topic | None:
    """The notification topic, SNS or SMN by the form of NOTIFY_TOPIC."""
    topic = settings.notify_topic
    if not topic:
        return None
    if topic.startswith("urn:smn:"):
        from sms_export.adapters.smn import SmnTopic

        return SmnTopic(topic, credentials, settings.smn_endpoint) if credentials else None
    from sms_export.adapters.sns import SnsTopic

    return SnsTopic(topic)


def metrics_for(
    settings: Settings, invocation: Invocation, credentials: HuaweiCredentials | None
) -> Publisher | None:
    """METRICS: auto is EMF on Lambda, Cloud Eye on FunctionGraph, nothing on a local run."""
    mode: MetricsMode = settings.metrics
    if mode == "auto":
        mode = AUTO_METRICS.get(invocation.platform, "off")
    if mode == "emf":
        from sms_export.adapters.emf import EmfMetrics

        return EmfMetrics(settings.metrics_namespace, invocation.function_name)
    if mode != "ces":
        return None
    # Only here: Cloud Eye's SDK is not imported on Lambda, nor on a local run.
    from sms_export.adapters import cloudeye
    from sms_export.adapters.logs import metrics_not_published

    if credentials is None:
        metrics_not_published("ces", "no Huawei Cloud credentials to sign with", [])
        return None
    endpoints = [settings.ces_endpoint] if settings.ces_endpoint else []
    endpoints = endpoints or cloudeye.endpoints(settings.sms_region)
    if not endpoints:
        return None
    return cloudeye.CesMetrics(
        settings.metrics_namespace,
        invocation.function_name,
        credentials,
        endpoints,
        invocation.project_id,
    )
