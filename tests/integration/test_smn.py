"""Outcomes published to an SMN topic, read back from the emulator (signature checked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import EmulatorServer
from localrun.contexts import FunctionGraphContext
from sms_export.core.errors import RetryLater
from tests.support import INPUT_BUCKET, Aws, csv_text, triples

PROJECT = "0123456789abcdef0123456789abcdef"
TOPIC = f"urn:smn:cn-north-4:{PROJECT}:sms-export-outcomes"


@pytest.fixture
def smn(emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NOTIFY_TOPIC", TOPIC)
    monkeypatch.setenv("SMN_ENDPOINT", emulator.endpoint)
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "out"))
    return tmp_path


def direct(rows: list[tuple[str, str, str]] | list[list[str]]) -> dict[str, Any]:
    return {
        "task_info": [
            dict(zip(("task_id", "source_id", "source_name"), row, strict=True)) for row in rows
        ]
    }


def published(emulator: EmulatorServer) -> dict[str, Any]:
    (message,) = emulator.backend.smn_messages
    return dict(message)


def test_the_outcome_is_published_to_smn_for_every_kind_of_subscriber(
    smn: Path, emulator: EmulatorServer
) -> None:
    outcome = index.handler(direct(triples(5)), FunctionGraphContext())
    assert outcome["notification"]["status"] == "published"
    message = published(emulator)
    assert message["topic_urn"] == TOPIC
    assert outcome["notification"]["message_id"] == message["message_id"]
    structure = json.loads(message["message_structure"])
    assert structure["default"] == structure["email"] == structure["sms"]
    assert structure["default"].startswith("succeeded: 5 rows exported from inline")
    for protocol in ("http", "https", "functiongraph"):
        assert json.loads(structure[protocol])["rows"]["exported"] == 5
    assert message["subject"].startswith("SMS consistency export succeeded")


def test_a_large_outcome_is_summarised_with_a_pointer_to_the_stored_one(
    smn: Path, emulator: EmulatorServer
) -> None:
    rows = [[f"t-{n}", f"s-{n}", "x" * 300] for n in range(1500)] + [list(r) for r in triples(2)]
    outcome = index.handler(direct(rows), FunctionGraphContext())
    assert outcome["notification"]["status"] == "published"
    structure = published(emulator)["message_structure"]
    assert len(structure.encode()) <= 256 * 1024  # SMN's limit holds all three copies
    full = json.loads(json.loads(structure)["http"])
    assert full["rows"]["rejected"] == 1500  # every total, and the first rejected rows
    assert full["rejected"] == outcome["rejected"][: len(full["rejected"])]
    assert full["truncated"]["rejected"] == 1500 - len(full["rejected"]) > 0
    assert full["truncated"]["complete_record"] == outcome["stored_outcome"]
    assert full["stored_outcome"] == outcome["stored_outcome"]
    stored = json.loads(Path(outcome["stored_outcome"].removeprefix("file://")).read_text())
    assert len(stored["rejected"]) == 1500  # nothing lost: the stored outcome has it all


def test_the_subject_stays_within_512_bytes(
    aws: Aws, smn: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_name = "迁移" * 200  # 1,200 bytes of UTF-8
    monkeypatch.delenv("EXPORT_DIR")  # such a name is too long for a local file system
    aws.upload(f"{long_name}.csv", csv_text(triples(2)))
    outcome = index.handler(
        {"object": f"s3://{INPUT_BUCKET}/{long_name}.csv"}, FunctionGraphContext()
    )
    assert outcome["notification"]["status"] == "published"  # the emulator enforces 512
    assert len(published(emulator)["subject"].encode()) <= 512


def test_a_refused_signature_shows_in_the_outcome(
    smn: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD_SDK_SK", "not-the-secret")
    outcome = index.handler(direct(triples(1)), FunctionGraphContext())
    assert outcome["notification"]["status"] == "failed"
    assert "APIGW.0301" in outcome["notification"]["error"]
    assert emulator.backend.smn_messages == []


def test_an_smn_topic_urn_is_accepted_and_a_malformed_one_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTIFY_TOPIC", "urn:smn:cn-north-4:only-three-parts")
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(direct(triples(1)), FunctionGraphContext())
    outcome = raised.value.answer
    assert outcome["error"]["code"] == "ConfigurationError"
    assert "SMN topic URN" in outcome["error"]["message"]
