"""Batches never exceed the item or byte limits, and their size is what the SDK sends."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from emulator import EmulatorServer, SmsBackend
from sms_export.batching import encoded_size, halve, plan, unique
from sms_export.credentials import HuaweiCredentials
from sms_export.models import Triple
from sms_export.settings import Settings
from sms_export.sms import SmsApi
from tests.support import ACCESS_KEY, SECRET_KEY, triples

field_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=255
)
triple_strategy = st.builds(
    Triple, task_id=field_text, source_id=field_text, source_name=field_text
)


def make(rows: list[tuple[str, str, str]]) -> list[Triple]:
    return [Triple(task_id=t, source_id=s, source_name=n) for t, s, n in rows]


def test_duplicates_are_dropped_in_order_and_counted() -> None:
    a, b = make(triples(2))
    kept, dropped = unique([a, b, a, a])
    assert kept == [a, b]
    assert dropped == 2


def test_item_limit() -> None:
    batches = plan(make(triples(401)), max_items=200, max_bytes=10**9)
    assert [len(b.triples) for b in batches] == [200, 200, 1]
    assert [b.index for b in batches] == [1, 2, 3]


@given(
    st.lists(triple_strategy, min_size=1, max_size=60),
    st.integers(1, 200),
    st.integers(5000, 20000),
)
@settings(max_examples=60, deadline=None)
def test_every_batch_respects_both_limits_and_keeps_order(
    items: list[Triple], max_items: int, max_bytes: int
) -> None:
    batches = plan(items, max_items, max_bytes)
    assert [t for b in batches for t in b.triples] == items
    for batch in batches:
        assert len(batch.triples) <= max_items
        assert encoded_size(batch.triples) <= max_bytes or len(batch.triples) == 1


def test_halving_labels_parts() -> None:
    (batch,) = plan(make(triples(5)), 200, 10**9)
    first, second = halve(batch)
    assert (len(first.triples), len(second.triples)) == (2, 3)
    assert (first.label, second.label) == ("0001-1", "0001-2")
    assert halve(second)[1].label == "0001-2-2"


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
