"""Notifications on AWS: an SNS topic, through boto3 (imported when a message is sent)."""

from __future__ import annotations

from dataclasses import dataclass

from sms_export.core.messages import structured, subject
from sms_export.core.models import Notification, Outcome

SNS_MESSAGE_LIMIT = 256 * 1024


@dataclass(frozen=True)
class SnsTopic:
    topic: str  # arn:aws:sns:<region>:<account>:<name>

    def publish(self, outcome: Outcome) -> Notification:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            # E-mail and SMS subscribers get words, the differing sources first; queues,
            # functions and HTTP endpoints the JSON (the default).
            structure = structured(outcome, ("default",), ("email", "sms"), SNS_MESSAGE_LIMIT)
            response = boto3.client("sns", region_name=self.topic.split(":")[3]).publish(
                TopicArn=self.topic,
                Subject=subject(outcome),
                MessageStructure="json",
                Message=structure,
                MessageAttributes={"status": {"DataType": "String", "StringValue": outcome.status}},
            )
        except (ClientError, BotoCoreError) as error:
            return Notification(topic=self.topic, status="failed", error=str(error)[:500])
        return Notification(topic=self.topic, status="published", message_id=response["MessageId"])
