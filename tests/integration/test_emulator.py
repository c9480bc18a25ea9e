"""The emulator checks signatures like the API gateway, so the SDK wire is really tested."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from emulator import EXPORT_ACTION, LOOKUP_ACTION, Directory, EmulatorServer, SmsBackend, Tally
from emulator.obs_signing import RFC_1123, string_to_sign
from emulator.signing import DATE_FORMAT, SignedRequest, canonical_request, signature
from emulator.sms.models import AGENT_DIRECTORY, SmsService, differing_files
from sms_export.adapters.sms import SmsApi
from sms_export.core.errors import CallFailed, CredentialsRefused, Throttled, TooLarge
from sms_export.core.models import HuaweiCredentials, Triple
from sms_export.core.verdicts import judge
from sms_export.settings import Settings
from tests.support import ACCESS_KEY, SECRET_KEY

EXPORT = "/v3/tasks/consistency-results/export"
ITEM = Triple(task_id="t-1", source_id="s-1", source_name="服务器 1")


def api(
    endpoint: str,
    secret_key: str = SECRET_KEY,
    token: str | None = None,
    access_key: str = ACCESS_KEY,
) -> SmsApi:
    credentials = HuaweiCredentials(
        SecretStr(access_key),
        SecretStr(secret_key),
        SecretStr(token) if token else None,
        "project-1",
    )
    return SmsApi(Settings(sms_endpoint=endpoint, sms_language="en-us"), credentials)


def test_the_real_sdk_is_accepted_including_a_security_token(emulator: EmulatorServer) -> None:
    content = api(emulator.endpoint, token="temporary-token").export(
        [ITEM], lambda download: b"".join(download.chunks)
    )
    assert "服务器 1" in content.decode()
    (call,) = emulator.backend.calls
    assert call.headers["x-security-token"] == "temporary-token"
    assert call.headers["x-language"] == "en-us"


def test_a_wrong_secret_key_is_refused_as_an_authentication_failure(
    emulator: EmulatorServer,
) -> None:
    with pytest.raises(CredentialsRefused) as raised:
        api(emulator.endpoint, secret_key="not-the-secret").export([ITEM], lambda d: None)
    assert (raised.value.http_status, raised.value.code) == (401, "APIGW.0301")
    assert not raised.value.retryable
    assert raised.value.request_id
    assert emulator.backend.calls == []


def signed_post(
    endpoint: str,
    body: bytes,
    date: datetime,
    secret_key: str = SECRET_KEY,
    tamper: bytes | None = None,
) -> requests.Response:
    host = endpoint.removeprefix("http://")
    headers = {
        "content-type": "application/json;charset=utf-8",
        "host": host,
        "x-sdk-date": date.strftime(DATE_FORMAT),
    }
    names = sorted(headers)
    canonical = canonical_request(SignedRequest("POST", EXPORT, "", headers, body), names)
    authorization = (
        f"SDK-HMAC-SHA256 Access={ACCESS_KEY}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature(secret_key, headers['x-sdk-date'], canonical)}"
    )
    return requests.post(
        endpoint + EXPORT,
        data=tamper or body,
        timeout=5,
        headers={**headers, "Authorization": authorization},
    )


BODY = json.dumps({"task_info": [{"task_id": "t", "source_id": "s", "source_name": "n"}]}).encode()


def test_a_correct_hand_signed_request_is_accepted(emulator: EmulatorServer) -> None:
    assert signed_post(emulator.endpoint, BODY, datetime.now(timezone.utc)).status_code == 200


def test_a_date_more_than_15_minutes_off_is_refused(emulator: EmulatorServer) -> None:
    stale = datetime.now(timezone.utc) - timedelta(minutes=16)
    response = signed_post(emulator.endpoint, BODY, stale)
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0303"


def test_a_tampered_body_is_refused(emulator: EmulatorServer) -> None:
    response = signed_post(
        emulator.endpoint, BODY, datetime.now(timezone.utc), tamper=BODY.replace(b'"t"', b'"x"')
    )
    assert response.json()["error_code"] == "APIGW.0301"


def test_the_access_key_is_locked_after_more_than_five_failures() -> None:
    with EmulatorServer(SmsBackend(credentials={ACCESS_KEY: SECRET_KEY})) as server:
        for _ in range(6):
            signed_post(server.endpoint, BODY, datetime.now(timezone.utc), secret_key="wrong")
        response = signed_post(server.endpoint, BODY, datetime.now(timezone.utc))
    assert response.status_code == 401
    assert "locked" in response.json()["error_msg"]


def test_the_emulator_enforces_the_api_limits(emulator: EmulatorServer) -> None:
    too_many = [ITEM] * 201
    with pytest.raises(CallFailed) as raised:
        api(emulator.endpoint).export(too_many, lambda d: None)
    assert raised.value.http_status in (400, 401)
    emulator.backend.max_request_bytes = 200
    with pytest.raises(TooLarge) as raised:
        api(emulator.endpoint).export([ITEM] * 3, lambda d: None)
    assert raised.value.code == "SMS.2004"


def test_faults_apply_to_every_action_and_the_call_records_the_signer(
    emulator: EmulatorServer,
) -> None:
    from emulator import Fault

    emulator.backend.add_source("s-1", "web-01", "t-1")
    emulator.backend.inject(Fault.throttle(), Fault.server_error(503))
    client = api(emulator.endpoint)
    with pytest.raises(Throttled) as throttled:
        list(client.list_sources({}))
    assert throttled.value.http_status == 429
    with pytest.raises(CallFailed) as raised:
        client.export([ITEM], lambda download: b"".join(download.chunks))
    assert raised.value.http_status == 503
    (call,) = emulator.backend.calls
    assert (call.access_key, call.answered, call.items) == (ACCESS_KEY, 503, (tuple(ITEM),))


def test_an_unknown_path_is_refused_like_the_gateway(emulator: EmulatorServer) -> None:
    response = requests.post(f"{emulator.endpoint}/v3/no-such-api", timeout=5)
    assert response.status_code == 404
    assert response.json()["error_code"] == "APIGW.0101"


# -- the gateway's quota ---------------------------------------------------------------------
OTHER_KEY, OTHER_SECRET = "HWTESTACCESSKEY0002", "hwTestSecretKey+second/DoNotLeak"


def stopped_clock() -> Callable[[], float]:
    """Every call "in the same second", however slowly a loaded machine makes them."""
    return lambda: 1000.0


def outcome_of(call: Callable[[], object]) -> str:
    try:
        call()
    except Throttled:
        return "throttled"
    return "answered"


def export_by(client: SmsApi) -> str:
    return outcome_of(lambda: client.export([ITEM], lambda download: None))


def lookup_by(client: SmsApi) -> str:
    return outcome_of(lambda: client.consistency_result("t-1"))


def test_the_quota_is_shared_by_every_caller_whatever_its_key() -> None:
    backend = SmsBackend(
        credentials={ACCESS_KEY: SECRET_KEY, OTHER_KEY: OTHER_SECRET},
        quotas={EXPORT_ACTION: 2},
        clock=stopped_clock(),
    )
    with EmulatorServer(backend) as server:
        first = api(server.endpoint)
        second = api(server.endpoint, OTHER_SECRET, access_key=OTHER_KEY)
        outcomes = [export_by(client) for client in (first, second, first, second)]
    assert outcomes == ["answered", "answered", "throttled", "throttled"]
    assert backend.tally(EXPORT_ACTION) == Tally(succeeded=2, throttled=2, failed=0)
    assert [(call.access_key, call.answered) for call in backend.calls] == [
        (ACCESS_KEY, 200),
        (OTHER_KEY, 200),
        (ACCESS_KEY, 429),
        (OTHER_KEY, 429),
    ]


def test_each_api_has_its_own_quota() -> None:
    backend = SmsBackend(
        credentials={ACCESS_KEY: SECRET_KEY},
        quotas={EXPORT_ACTION: 1, LOOKUP_ACTION: 2},
        clock=stopped_clock(),
    )
    with EmulatorServer(backend) as server:
        client = api(server.endpoint)
        exports = [export_by(client) for _ in range(2)]
        lookups = [lookup_by(client) for _ in range(3)]
    assert exports == ["answered", "throttled"]  # the lookups' quota is untouched by it
    assert lookups == ["answered", "answered", "throttled"]
    assert backend.tally(EXPORT_ACTION) == Tally(1, 1, 0)
    assert backend.tally(LOOKUP_ACTION) == Tally(2, 1, 0)


def test_rate_limit_is_the_quota_of_each_api_not_named() -> None:
    backend = SmsBackend(credentials={ACCESS_KEY: SECRET_KEY}, rate_limit=1, clock=stopped_clock())
    with EmulatorServer(backend) as server:
        client = api(server.endpoint)
        export = [export_by(client) for _ in range(2)]
        lookup = lookup_by(client)
    assert (export, lookup) == (["answered", "throttled"], "answered")


def test_the_quota_frees_up_as_its_second_passes() -> None:
    now = [1000.0]
    backend = SmsBackend(
        credentials={ACCESS_KEY: SECRET_KEY}, quotas={EXPORT_ACTION: 1}, clock=lambda: now[0]
    )
    with EmulatorServer(backend) as server:
        client = api(server.endpoint)
        outcomes = []
        for moment in (1000.0, 1000.9, 1001.0):
            now[0] = moment
            outcomes.append(export_by(client))
    assert outcomes == ["answered", "throttled", "answered"]


def test_a_throttled_call_is_answered_at_once_not_after_the_service_latency() -> None:
    """While an admitted call still waits for the service, the throttled one is answered."""
    backend = SmsBackend(
        credentials={ACCESS_KEY: SECRET_KEY},
        quotas={EXPORT_ACTION: 1},
        clock=stopped_clock(),
        latency=1.0,
    )
    with EmulatorServer(backend) as server:
        client = api(server.endpoint)
        admitted = threading.Thread(target=lambda: client.export([ITEM], lambda d: None))
        admitted.start()
        while not backend.admitted(EXPORT_ACTION):  # past the gateway, waiting for the service
            time.sleep(0.005)
        throttled = export_by(api(server.endpoint))
        tally_then = backend.tally(EXPORT_ACTION)
        admitted.join()
    assert throttled == "throttled"
    assert tally_then == Tally(succeeded=0, throttled=1, failed=0)
    assert backend.tally(EXPORT_ACTION) == Tally(succeeded=1, throttled=1, failed=0)


# -- the gateway owns signatures, locks and the quota, whichever service is behind it ----------
OBS_HOST = "exports.obs.cn-north-4.myhuaweicloud.com"


def obs_get(endpoint: str, key: str, secret_key: str = SECRET_KEY) -> requests.Response:
    """A GET of one object, signed by hand with OBS's own signature, through the emulator as
    a proxy (the bucket is in the host, as OBS addresses it)."""
    headers = {"date": datetime.now(timezone.utc).strftime(RFC_1123)}
    unsigned = SignedRequest("GET", f"/{key}", "", headers, b"")
    digest = hmac.new(
        secret_key.encode(), string_to_sign(unsigned, "exports").encode(), hashlib.sha1
    ).digest()
    authorization = f"OBS {ACCESS_KEY}:{base64.b64encode(digest).decode()}"
    return requests.get(
        f"http://{OBS_HOST}/{key}",
        headers={**headers, "Authorization": authorization},
        proxies={"http": endpoint},
        timeout=5,
    )


def test_a_correct_signature_forgives_earlier_failures_of_its_key(
    emulator: EmulatorServer,
) -> None:
    """Only more than five failures in a row lock a key: one success starts the count again."""
    now = datetime.now(timezone.utc)
    for _ in range(5):
        signed_post(emulator.endpoint, BODY, now, secret_key="wrong")
    assert signed_post(emulator.endpoint, BODY, now).status_code == 200
    for _ in range(5):
        signed_post(emulator.endpoint, BODY, now, secret_key="wrong")
    assert signed_post(emulator.endpoint, BODY, now).status_code == 200
    refused = emulator.backend.gateway.auth_failures
    assert {(r.error_code, r.access_key) for r in refused} == {("APIGW.0301", ACCESS_KEY)}
    assert len(refused) == 10


def test_obs_refusals_are_recorded_but_lock_no_key_and_obs_has_no_quota() -> None:
    """OBS is not behind the API gateway: its refusals lock nothing there, and the
    gateway's quota does not count its calls."""
    backend = SmsBackend(credentials={ACCESS_KEY: SECRET_KEY}, rate_limit=1, clock=stopped_clock())
    backend.obs.create_bucket("exports")
    backend.obs.put_object("exports", "a.csv", b"a,b\n")
    with EmulatorServer(backend) as server:
        refused = [obs_get(server.endpoint, "a.csv", "wrong") for _ in range(6)]
        answered = [obs_get(server.endpoint, "a.csv") for _ in range(3)]
        export = export_by(api(server.endpoint))
    assert {(r.status_code, "SignatureDoesNotMatch" in r.text) for r in refused} == {(403, True)}
    assert [r.content for r in answered] == [b"a,b\n"] * 3
    assert export == "answered"  # the key is not locked, and OBS used none of the quota
    assert [r.error_code for r in backend.gateway.auth_failures] == ["SignatureDoesNotMatch"] * 6
    assert len(backend.obs.requests) == 9


# -- scripted consistency checks, read back through the real SDK client ----------------------
def directories(answer: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    (check,) = answer["result_list"]
    return {
        d["dir_check"]: (
            d["num_total_files"],
            d["num_different_files"],
            d["num_target_miss_files"],
            d["num_target_more_files"],
        )
        for d in check["consistency_result"]
    }


def test_a_made_up_check_splits_the_tasks_counts_over_several_directories(
    emulator: EmulatorServer,
) -> None:
    client = api(emulator.endpoint)
    differing = next(f"t-{n}" for n in range(100) if differing_files(f"t-{n}") > 1)
    answers = {task: client.consistency_result(task) for task in ("t-1", "t-2", differing)}
    for task, answer in answers.items():
        found = directories(answer)
        assert list(found) == ["/", "/data", "/var/log", AGENT_DIRECTORY]
        assert sum(counts[0] for counts in found.values()) == 1500
        assert sum(counts[1] for counts in found.values()) == differing_files(task)
        assert found["/var/log"][1:] == found[AGENT_DIRECTORY][1:] == (0, 0, 0)  # no noise
        assert answer["result_list"][0]["check_result"] == "success"
    assert answers[differing] == client.consistency_result(differing)  # the same every time


def test_a_scripted_check_changes_the_verdict_between_two_runs(emulator: EmulatorServer) -> None:
    client = api(emulator.endpoint)
    triple = Triple("t-1", "s-1", "web-01")
    broken = [Directory("/", 1020), Directory("/data", 300, different=2, missing=1)]
    emulator.backend.sms.set_check("t-1", broken, check_result="failed")
    first = client.consistency_result("t-1")
    emulator.backend.sms.set_check("t-1", [Directory("/", 1020), Directory("/data", 300)])
    second = client.consistency_result("t-1")
    assert directories(first)["/data"] == (300, 2, 1, 0)
    assert first["result_list"][0]["check_result"] == "failed"
    before, after = judge(triple, first), judge(triple, second)
    assert (before.verdict, before.different_files, before.missing_files) == ("inconsistent", 2, 1)
    assert (after.verdict, after.total_files) == ("consistent", 1320)


def test_differences_can_be_put_in_a_noise_directory_only(emulator: EmulatorServer) -> None:
    noisy = [Directory("/", 1020), Directory("/var/log", 120, different=7, extra=3)]
    emulator.backend.sms.set_check("t-1", noisy)
    found = directories(api(emulator.endpoint).consistency_result("t-1"))
    assert found == {"/": (1020, 0, 0, 0), "/var/log": (120, 7, 0, 3)}


@pytest.mark.parametrize("shape", ["objects", "strings"])
def test_a_check_can_be_made_old_in_either_answer_shape(
    emulator: EmulatorServer, shape: str
) -> None:
    emulator.backend.result_shape = shape  # type: ignore[assignment]
    month_ago = datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)
    emulator.backend.sms.set_check("t-1", finished_time=month_ago)
    answer = api(emulator.endpoint).consistency_result("t-1")
    (item,) = answer["result_list"]
    check = json.loads(item) if shape == "strings" else item
    assert check["finished_time"] == 1_793_521_800_000
    assert judge(Triple("t-1", "s", "n"), answer).checked_at == "2026-11-01T08:30:00Z"
    assert len(check["consistency_result"]) == 4  # the made-up directories, unless given


def test_the_export_file_follows_the_scripted_check(emulator: EmulatorServer) -> None:
    consistent = next(f"t-{n}" for n in range(100) if not differing_files(f"t-{n}"))
    item = Triple(consistent, "s-1", "web-01")
    client = api(emulator.endpoint)
    before = client.export([item], lambda download: b"".join(download.chunks)).decode()
    emulator.backend.sms.set_check(consistent, [Directory("/", 10, extra=1)])
    after = client.export([item], lambda download: b"".join(download.chunks)).decode()
    assert before.splitlines()[1].endswith(",consistent")
    assert after.splitlines()[1].endswith(",inconsistent")


@pytest.mark.parametrize(
    "directory",
    [
        lambda: Directory("", 1),
        lambda: Directory("/" + "x" * 1024, 1),
        lambda: Directory("/", 1_000_001),
        lambda: Directory("/", 10, different=-1),
    ],
)
def test_a_check_the_api_could_never_answer_is_refused(directory: Callable[[], Directory]) -> None:
    with pytest.raises(ValueError, match=r"dir_check|count"):
        directory()


def test_a_check_holds_at_most_30_directories() -> None:
    many = [Directory(f"/d{n}", 1) for n in range(31)]
    with pytest.raises(ValueError, match="30"):
        SmsService().set_check("t-1", many)
    SmsService().set_check("t-1", many[:30])
