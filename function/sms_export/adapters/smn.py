"""Notifications on Huawei Cloud: an SMN topic, through Huawei's SMN SDK."""

from __future__ import annotations

from dataclasses import dataclass

from sms_export.adapters.huaweisdk import build_client, error_text
from sms_export.core.messages import structured, subject, utf8_prefix
from sms_export.core.models import HuaweiCredentials, Notification, Outcome

SMN_LIMIT = 256 * 1024  # the message structure carries the JSON three times


@dataclass(frozen=True)
class SmnTopic:
    topic: str  # urn:smn:<region>:<project_id>:<name>
    credentials: HuaweiCredentials
    endpoint: str | None = None  # SMN_ENDPOINT; else the region's

    def publish(self, outcome: Outcome) -> Notification:
        from huaweicloudsdksmn.v2 import (
            PublishMessageRequest,
            PublishMessageRequestBody,
            SmnClient,
        )

        _, _, region, project_id, _ = self.topic.split(":", 4)
        # E-mail and SMS subscribers get words; HTTP(S) and function subscribers the JSON.
        structure = structured(
            outcome, ("http", "https", "functiongraph"), ("default", "email", "sms"), SMN_LIMIT
        )
        body = PublishMessageRequestBody(
            subject=utf8_prefix(subject(outcome, 512), 512), message_structure=structure
        )
        try:
            client = build_client(
                SmnClient, self.credentials, self._endpoints(region), (10.0, 30.0), project_id
            )
            response = client.publish_message(
                PublishMessageRequest(topic_urn=self.topic, body=body)
            )
        except Exception as error:  # the SDK's, requests' and region lookups' errors alike
            return Notification(topic=self.topic, status="failed", error=error_text(error))
        return Notification(topic=self.topic, status="published", message_id=response.message_id)

    def _endpoints(self, region: str) -> list[str]:
        if self.endpoint:
            return [self.endpoint]
        from huaweicloudsdksmn.v2.region.smn_region import SmnRegion

        return list(SmnRegion.value_of(region).endpoints)
