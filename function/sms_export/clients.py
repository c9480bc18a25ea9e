"""The clients an invocation talks through, each built on first use: the SMS SDK and boto3
are the heaviest imports of the function, and a run that fails early needs neither."""

from __future__ import annotations

from functools import cached_property

from sms_export.adapters.s3 import S3Storage
from sms_export.adapters.sms import SmsApi
from sms_export.core.models import HuaweiCredentials
from sms_export.core.ports import Storage
from sms_export.settings import Settings


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
        return S3Storage()
