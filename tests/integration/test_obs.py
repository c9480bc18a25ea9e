"""OBS through Huawei's own OBS SDK, against the emulator's OBS, which checks OBS's own
signature as OBS documents it: uploads read, exports written and listed (on a parallel
file system bucket too), the agency's token signed, failures classified."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import SecretStr

import index
from emulator import EmulatorServer
from emulator.obs_signing import RFC_1123, SDK_DATE_FORMAT, parse_date, string_to_sign
from emulator.signing import SignedRequest
from localrun.contexts import FunctionGraphContext
from sms_export.adapters.obs import ObsStorage
from sms_export.core.errors import CallFailed, InputError
from sms_export.core.models import HuaweiCredentials
from tests.support import EVENTS, csv_text, load_event, triples

BUCKET = "sms-input-obs"
ENDPOINT = "http://obs.cn-north-4.myhuaweicloud.com"
AGENCY = ("AGENCY-AK", "AGENCY-SK", "AGENCY-TOKEN")


@pytest.fixture
def obs(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """The emulator stands in for OBS's endpoint as an HTTP proxy (the SDK addresses
    `<bucket>.obs.<region>…`, which no resolver here knows); the SMS calls go direct."""
    monkeypatch.setenv("HTTP_PROXY", emulator.endpoint)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("STORAGE_ENDPOINT", ENDPOINT)
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    emulator.backend.credentials = {AGENCY[0]: AGENCY[1]}
    emulator.backend.create_bucket(BUCKET)
    return emulator


def agency() -> FunctionGraphContext:
    return FunctionGraphContext(*AGENCY)


def storage() -> ObsStorage:
    return ObsStorage(
        ENDPOINT,
        HuaweiCredentials(*(SecretStr(value) for value in AGENCY)),  # type: ignore[arg-type]
    )


def test_an_obs_upload_is_read_and_exported_to_obs_with_the_agency(obs: EmulatorServer) -> None:
    sample = (EVENTS / "tasks.csv").read_bytes()
    obs.backend.put_obs_object(BUCKET, "incoming/wave 1/tasks.csv", sample, "text/csv")
    outcome = index.handler(load_event("obs-upload.json"), agency())
    assert outcome["input"] == f"obs://{BUCKET}/incoming/wave 1/tasks.csv"
    assert (outcome["status"], outcome["rows"]["exported"]) == ("partial", 3)
    (batch,) = outcome["batches"]
    assert batch["export"].startswith(f"obs://{BUCKET}/consistency-results/")
    stored = sorted(obs.backend.obs_buckets[BUCKET].objects)
    names = [key.rsplit("/", 1)[1] for key in stored if key.startswith("consistency-results/")]
    assert names[0].startswith("batch-000001-000003-")
    assert names[1:] == ["outcome.json", "rejected.csv", "report.html", "results.csv"]
    assert obs.backend.auth_failures == []  # every request carried OBS's own signature
    requests = obs.backend.obs_requests
    assert {r["headers"]["x-obs-security-token"] for r in requests} == {AGENCY[2]}
    assert all(r["headers"]["authorization"].startswith("OBS AGENCY-AK:") for r in requests)
    assert {r["method"] for r in requests} == {"GET", "PUT"}


def test_a_retry_resumes_from_a_listing_of_a_parallel_file_system_bucket(
    obs: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PFS bucket refuses ListObjectsV2; the listing is ListObjects with a marker."""
    obs.backend.obs_buckets[BUCKET].kind = "POSIX"
    monkeypatch.setattr("sms_export.adapters.obs.LIST_PAGE", 2)  # several pages for a few files
    monkeypatch.setenv("BATCH_SIZE", "2")
    rows = triples(7)
    obs.backend.put_obs_object(BUCKET, "incoming/t.csv", csv_text(rows).encode())
    event = load_event("obs-upload.json")
    event["Records"][0]["s3"]["object"]["key"] = "incoming/t.csv"
    first = index.handler(event, agency())
    calls = len(obs.backend.calls)
    again = index.handler(event, agency())
    assert first["rows"]["exported"] == again["rows"]["exported"] == 7
    assert all(batch["resumed"] for batch in again["batches"])
    assert len(obs.backend.calls) == calls  # nothing exported twice
    listings = [r for r in obs.backend.obs_requests if r["method"] == "GET" and r["path"] == "/"]
    assert len(listings) >= 3  # paged
    assert not any("list-type" in r["query"] for r in listings)


def test_the_sdks_request_carries_obs_signature_as_documented(obs: EmulatorServer) -> None:
    storage().put(BUCKET, "in/a b+c.csv", [b"x,y\n"], "text/csv", None)
    (request,) = obs.backend.obs_requests
    headers = request["headers"]
    assert headers["host"] == f"{BUCKET}.obs.cn-north-4.myhuaweicloud.com"  # virtual host
    signed = SignedRequest(request["method"], request["path"], request["query"], headers, b"")
    text = string_to_sign(signed, BUCKET)
    assert text.splitlines()[0] == "PUT"
    assert f"x-obs-security-token:{AGENCY[2]}" in text.splitlines()
    assert text.endswith(f"/{BUCKET}{request['path']}")
    digest = hmac.new(AGENCY[1].encode(), text.encode(), hashlib.sha1).digest()
    assert headers["authorization"] == f"OBS {AGENCY[0]}:{base64.b64encode(digest).decode()}"


def test_the_one_departure_the_sdks_date_is_not_rfc_1123(obs: EmulatorServer) -> None:
    """Shown, and decided openly (emulator/obs_signing.py): the emulator accepts it."""
    storage().put(BUCKET, "k.csv", [b"x"], "text/csv", None)
    (request,) = obs.backend.obs_requests
    date = request["headers"]["date"]
    assert datetime.strptime(date, SDK_DATE_FORMAT)  # "Mon Jun 02 2025 10:00:00 GMT"
    with pytest.raises(ValueError, match="does not match format"):
        datetime.strptime(date, RFC_1123)  # not "Mon, 02 Jun 2025 10:00:00 GMT"
    assert parse_date(date) is not None
    assert parse_date(datetime.now(timezone.utc).strftime(RFC_1123)) is not None
    assert parse_date("02/06/2025 10:00") is None  # anything else is refused


def test_a_wrong_secret_key_is_refused_by_the_signature_check(obs: EmulatorServer) -> None:
    obs.backend.credentials = {AGENCY[0]: "another-secret"}
    with pytest.raises(CallFailed) as raised:
        storage().put(BUCKET, "k.csv", [b"x"], "text/csv", None)
    assert raised.value.code == "StorageWriteFailed"
    assert "SignatureDoesNotMatch" in raised.value.message
    assert raised.value.retryable  # a permission or key may be fixed before a retry


@pytest.mark.parametrize(
    ("bucket", "key", "code", "retryable"),
    [
        (BUCKET, "missing.csv", "NoSuchKey", True),
        ("no-such-bucket", "a.csv", "NoSuchBucket", True),
    ],
)
def test_read_failures_name_obs_s_own_code(
    obs: EmulatorServer, bucket: str, key: str, code: str, retryable: bool
) -> None:
    with pytest.raises(InputError) as raised:
        storage().open(bucket, key)
    assert raised.value.code == "InputUnreadable"
    assert raised.value.message == f"Cannot read obs://{bucket}/{key}: {code}"
    assert raised.value.retryable is retryable


def test_a_download_streams_in_chunks_and_an_upload_is_whole_or_nothing(
    obs: EmulatorServer,
) -> None:
    data = bytes(range(256)) * 2048  # 512 KiB
    obs.backend.put_obs_object(BUCKET, "big.bin", data)
    with storage().open(BUCKET, "big.bin") as stored:
        first = stored.stream.read(1000)
        rest = stored.stream.read()
    assert first + rest == data

    def cut() -> Iterator[bytes]:
        yield b"half"
        raise OSError("the download was cut")

    with pytest.raises(OSError, match="cut"):
        storage().put(BUCKET, "partial.csv", cut(), "text/csv", None)
    assert "partial.csv" not in obs.backend.obs_buckets[BUCKET].objects


def test_listing_returns_every_key_and_size(obs: EmulatorServer, monkeypatch: Any) -> None:
    monkeypatch.setattr("sms_export.adapters.obs.LIST_PAGE", 3)
    for number in range(8):
        obs.backend.put_obs_object(BUCKET, f"out/f-{number}.csv", b"x" * number)
    obs.backend.put_obs_object(BUCKET, "other/g.csv", b"y")
    listed = storage().list(BUCKET, "out/")
    assert {key: found.size for key, found in listed.items()} == {
        f"out/f-{n}.csv": n for n in range(8)
    }
    assert storage().list(BUCKET, "none/") == {}
