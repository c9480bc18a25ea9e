"""The size the batcher computes is exactly the body the SDK sends, checked on the wire."""

from __future__ import annotations

from pydantic import SecretStr

from emulator import EmulatorServer, SmsBackend
from sms_export.adapters.sms import SmsApi
from sms_export.core.batching import encoded_size
from sms_export.core.models import HuaweiCredentials, Triple
from sms_export.settings import Settings
from tests.support import ACCESS_KEY, SECRET_KEY


def make(rows: list[tuple[str, str, str]]) -> list[Triple]:
    return [Triple(*row) for row in rows]


def test_encoded_size_is_exactly_the_body_the_sdk_sends() -> None:
    """Non-ASCII costs 6 bytes (12 outside the BMP) in the SDK's JSON: check on the wire."""
    items = make(
        [
            ("t-1", "s-1", "文件服务器-02"),
            ("t-2", "s-2", 'quote" back\\slash 🚀'),
            ("t-3", "s-3", "plain"),
        ]
    )
    backend = SmsBackend(credentials={ACCESS_KEY: SECRET_KEY})
    with EmulatorServer(backend) as server:
        settings_ = Settings(sms_endpoint=server.endpoint)
        api = SmsApi(settings_, HuaweiCredentials(SecretStr(ACCESS_KEY), SecretStr(SECRET_KEY)))
        for count in (1, 2, 3):
            api.export(items[:count], lambda download: b"".join(download.chunks))
    assert [call.body_bytes for call in backend.calls] == [
        encoded_size(items[:count]) for count in (1, 2, 3)
    ]
