"""Queues, topics, timers and HTTP: partial failures, HTTP status codes, discovery."""

from __future__ import annotations

import json
from typing import Any

import pytest

import index
from emulator import EmulatorServer, Fault
from localrun.contexts import FunctionGraphContext, LambdaContext
from sms_export.core.errors import RetryLater
from tests.support import (
    Aws,
    batch_file,
    csv_text,
    http_event,
    load_event,
    source_id,
    sqs_event,
    task_id,
    task_info,
    triples,
)


def test_sqs_names_exactly_the_message_a_retry_could_finish(
    exports_bucket: Aws, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "2")
    emulator.backend.inject(
        Fault.server_error(503), Fault.server_error(503)
    )  # both tries of the 2nd
    answer = index.handler(
        sqs_event(
            ("poison", "{not json"),
            ("failing", json.dumps(task_info(2))),
            ("good", json.dumps(task_info(2, start=10))),
        ),
        LambdaContext(),
    )

    assert answer == {"batchItemFailures": [{"itemIdentifier": "failing"}]}
    assert sorted(exports_bucket.exported_items()) == triples(2, start=10)
    published = [json.loads(n["Message"]) for n in exports_bucket.read_notifications()]
    by_message = {outcome["message_id"]: outcome for outcome in published}
    assert by_message["poison"]["error"]["code"] == "InvalidMessage"
    assert by_message["poison"]["retryable"] is False
    assert by_message["failing"]["batches"][0]["error_code"] == "SMS.2007"
    assert by_message["good"]["status"] == "succeeded"


def test_a_message_with_only_invalid_rows_is_let_go(exports_bucket: Aws) -> None:
    body = json.dumps({"task_info": [{"task_id": "", "source_id": "s", "source_name": "n"}]})
    assert index.handler(sqs_event(("m1", body)), LambdaContext()) == {"batchItemFailures": []}


def test_the_s3_test_event_is_skipped_quietly(
    exports_bucket: Aws, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    test_event = load_event("sqs-batch.json")["Records"][3]["body"]
    answer = index.handler(sqs_event(("t", test_event)), LambdaContext())
    assert answer == {"batchItemFailures": []}
    assert exports_bucket.read_notifications() == []
    assert capsys.readouterr().out == ""
    assert emulator.backend.calls == []


def test_a_redelivered_message_exports_to_the_same_keys(exports_bucket: Aws) -> None:
    event = sqs_event(("m-1", json.dumps(task_info(3))))
    index.handler(event, LambdaContext())
    index.handler(event, LambdaContext())
    assert sorted(exports_bucket.stored("consistency-results/")) == [
        f"consistency-results/inline/m-1/{batch_file(triples(3))}",
        "consistency-results/inline/m-1/outcome.json",
        "consistency-results/inline/m-1/report.html",
        "consistency-results/inline/m-1/results.csv",
    ]


# -- HTTP ----------------------------------------------------------------------------------------
def answer_of(response: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return response["statusCode"], json.loads(response["body"])


def test_http_400_with_the_row_errors_when_nothing_valid_was_sent(exports_bucket: Aws) -> None:
    body = csv_text([["", "s-1", "n"], ["t-2", "s-2", "x" * 300]]).encode()
    status, outcome = answer_of(index.handler(http_event(body, "text/csv"), FunctionGraphContext()))
    assert status == 400
    assert [r["row"] for r in outcome["rejected"]] == [2, 3]


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"{broken", "InvalidMessage"), (b'{"hello": 1}', "UnknownEvent"), (b"", "EmptyMessage")],
)
def test_http_400_for_a_body_that_can_never_work(
    exports_bucket: Aws, body: bytes, code: str
) -> None:
    status, outcome = answer_of(index.handler(http_event(body), FunctionGraphContext()))
    assert status == 400
    assert outcome["error"]["code"] == code


def test_http_502_when_the_sms_api_refused(exports_bucket: Aws, emulator: EmulatorServer) -> None:
    emulator.backend.inject(Fault.sms_error(403, "SMS.2002", "No permission for this operation"))
    response = index.handler(http_event(json.dumps(task_info(2)).encode()), LambdaContext())
    status, outcome = answer_of(response)
    assert status == 502
    assert outcome["batches"][0]["error_code"] == "SMS.2002"


def test_http_503_when_a_later_try_may_succeed(
    exports_bucket: Aws, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "2")
    emulator.backend.inject(Fault.server_error(503), Fault.server_error(503))
    response = index.handler(http_event(json.dumps(task_info(2)).encode()), LambdaContext())
    status, outcome = answer_of(response)
    assert status == 503
    assert outcome["batches"][0]["http_status"] == 503


def test_http_500_not_a_stack_trace_when_misconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SIZE", "many")
    response = index.handler(load_event("function-url.json"), LambdaContext())
    status, outcome = answer_of(response)
    assert status == 500
    assert outcome["error"]["code"] == "ConfigurationError"


def test_http_base64_that_is_not_base64_is_a_400(exports_bucket: Aws) -> None:
    event = http_event(b"")
    event["body"] = "***not base64***"
    status, outcome = answer_of(index.handler(event, FunctionGraphContext()))
    assert (status, outcome["error"]["code"]) == (400, "InvalidBody")


# -- timers --------------------------------------------------------------------------------------
def timer(user_event: str) -> dict[str, Any]:
    event = load_event("timer-discovery.json")
    event["user_event"] = user_event
    return event


def test_a_timer_with_text_that_is_not_json_is_a_clear_error(exports_bucket: Aws) -> None:
    outcome = index.handler(timer("export everything please"), FunctionGraphContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "InvalidMessage"
    assert "user_event is not JSON" in outcome["error"]["message"]


def test_a_timer_with_inline_triples(exports_bucket: Aws) -> None:
    outcome = index.handler(timer(json.dumps(task_info(4))), FunctionGraphContext())
    assert (outcome["trigger"], outcome["status"]) == ("timer", "succeeded")


# -- discovery -----------------------------------------------------------------------------------
def test_discovery_reads_every_page(exports_bucket: Aws, emulator: EmulatorServer) -> None:
    for number in range(450):
        emulator.backend.add_source(source_id(number), f"host-{number:03d}", task_id(number))
    emulator.backend.add_source(source_id(999), "unchecked", task_id(999), has_results=False)
    outcome = index.handler(timer(""), FunctionGraphContext())

    assert outcome["status"] == "succeeded"
    assert outcome["rows"]["exported"] == 450
    offsets = [int(query["offset"]) for query in emulator.backend.listings]
    assert offsets == [0, 100, 200, 300, 400]
    assert all(
        query["is_consistency_result_exist"] == "true" for query in emulator.backend.listings
    )
    assert {item[1] for item in exports_bucket.exported_items()} == {
        source_id(number) for number in range(450)
    }


def test_discovery_filters_are_passed_through(
    exports_bucket: Aws, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.backend.add_source(source_id(1), "web-1", task_id(1), migproject="wave-1")
    emulator.backend.add_source(source_id(2), "web-2", task_id(2), migproject="wave-2")
    monkeypatch.setenv("DISCOVER_FILTERS", '{"migration_project": "wave-2"}')
    outcome = index.handler(load_event("eventbridge-scheduled.json"), LambdaContext())
    assert outcome["rows"]["exported"] == 1
    assert emulator.backend.listings[0]["migproject"] == "wave-2"
    assert exports_bucket.exported_items() == [(task_id(2), source_id(2), "web-2")]


def test_an_unknown_discovery_filter_is_named(exports_bucket: Aws) -> None:
    outcome = index.handler({"discover": {"colour": "blue"}}, LambdaContext())
    assert outcome["error"]["code"] == "InvalidDiscovery"
    assert "colour" in outcome["error"]["message"]


def test_discovery_finding_nothing_is_not_a_failure(exports_bucket: Aws) -> None:
    outcome = index.handler(load_event("eventbridge-scheduled.json"), LambdaContext())
    assert outcome["status"] == "ignored"


def test_a_failing_listing_is_reported_and_marked_retryable(
    exports_bucket: Aws, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "2")
    emulator.backend.inject(Fault.server_error(500), Fault.server_error(500))
    with pytest.raises(RetryLater) as raised:
        index.handler(load_event("schedule-input.json"), LambdaContext())
    outcome = raised.value.answer
    assert outcome["error"]["code"] == "DiscoveryFailed"
    assert outcome["retryable"] is True


# -- unknown events ------------------------------------------------------------------------------
def test_an_unknown_event_names_its_keys_never_its_values_and_is_notified(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = index.handler({"surprise": "s3cr3t-value", "more": [1]}, LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "UnknownEvent"
    assert "'more', 'surprise'" in outcome["error"]["message"]
    assert "s3cr3t-value" not in json.dumps(outcome)
    assert '"UnknownEvent"' in capsys.readouterr().out
    (notification,) = aws.read_notifications()
    assert json.loads(notification["Message"])["error"]["code"] == "UnknownEvent"


def test_a_non_object_event_is_unknown_too() -> None:
    outcome = index.handler(["not", "an", "object"], LambdaContext())
    assert outcome["error"]["code"] == "UnknownEvent"


def test_a_setting_to_fix_sends_queued_messages_back_instead_of_dropping_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATCH_SIZE", "many")
    answer = index.handler(sqs_event(("m-1", json.dumps(task_info(2)))), LambdaContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
