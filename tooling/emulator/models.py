"""State and behaviour of the emulated Huawei endpoints (no HTTP here; see responses.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.exceptions import ApiError, SignatureRejected

FaultKind = Literal["status", "drop", "hang", "cut"]
# The emulator's own made-up key pair, accepted unless told otherwise.
DEMO_ACCESS_KEY = "EMULATOR-AK"
DEMO_SECRET_KEY = "EMULATOR-SK"  # noqa: S105 - not a secret: nothing real accepts it
# The action names of the two SMS APIs the function calls in bulk, each with its own quota.
EXPORT_ACTION = "export_consistency_results"
LOOKUP_ACTION = "show_consistency_result"
AK_LOCK_THRESHOLD = 5
AK_LOCK_SECONDS = 300.0


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, consumed by the next API call that reaches the backend."""

    kind: FaultKind
    status: int = 0
    error_code: str = ""
    error_msg: str = ""
    seconds: float = 0.0

    @classmethod
    def throttle(cls) -> Fault:
        return cls(
            "status",
            429,
            "APIGW.0308",
            "The throttling threshold has been reached: policy user over ratelimit",
        )

    @property
    def from_gateway(self) -> bool:
        """The gateway's own answers (throttling) come back at once: the call never reached
        the service, so it costs none of the service's latency."""
        return self.kind == "status" and self.error_code.startswith("APIG")

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status, "SMS.2007", "Background exception")

    @classmethod
    def sms_error(cls, status: int, error_code: str, error_msg: str) -> Fault:
        return cls("status", status, error_code, error_msg)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection before answering."""
        return cls("drop")

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """Answer only after `seconds`, long enough to trip the client's read timeout."""
        return cls("hang", seconds=seconds)

    @classmethod
    def cut_download(cls) -> Fault:
        """Send the headers and half of the file, then close the connection."""
        return cls("cut")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


@dataclass(frozen=True)
class ExportCall:
    """One ExportConsistencyResults request that passed the gateway, and what it got."""

    request_id: str
    access_key: str
    headers: Mapping[str, str]
    body_bytes: int
    items: tuple[tuple[str, str, str], ...]  # what the body asked for, as far as it parses
    answered: int  # HTTP status (200 even if the download was then cut)


@dataclass(frozen=True)
class Tally:
    """How one API's calls were answered, whoever made them."""

    succeeded: int  # 2xx
    throttled: int  # 429, by the quota or by a scripted fault
    failed: int  # any other answer, or none (a dropped connection)


def _items(body: bytes) -> tuple[tuple[str, str, str], ...]:
    try:
        task_info = json.loads(body)["task_info"]
        return tuple(
            (str(item["task_id"]), str(item["source_id"]), str(item["source_name"]))
            for item in task_info
        )
    except (ValueError, KeyError, TypeError):
        return ()


def export_file_for(items: Iterable[tuple[str, str, str]]) -> ExportFile:
    """A results file whose rows are the requested items, so tests can tell batches apart."""
    rows = list(items)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task_id", "source_id", "source_name", "consistency"])
    for task_id, source_id, source_name in rows:
        verdict = "consistent" if differing_files(task_id) == 0 else "inconsistent"
        writer.writerow([task_id, source_id, source_name, verdict])
    content = buffer.getvalue().encode("utf-8")
    name = hashlib.sha256(content).hexdigest()[:12]
    return ExportFile(content, "application/octet-stream", f"consistency-results-{name}.csv")


def differing_files(task_id: str) -> int:
    """How many files a task's check finds different, unless told otherwise: none for three
    tasks in four, by a digest of the id, so runs are repeatable."""
    digest = hashlib.sha256(task_id.encode()).digest()
    return 0 if digest[0] % 4 else 1 + digest[1] % 5


def check_of(task_id: str, finished_time: int = 1_764_547_200_000) -> dict[str, Any]:
    """One consistency check of a task, in the objects shape of the documentation."""
    different = differing_files(task_id)
    return {
        "finished_time": finished_time,
        "check_result": "success",
        "consistency_result": [
            {
                "dir_check": "/",
                "num_total_files": 1200,
                "num_different_files": different,
                "num_target_miss_files": 0,
                "num_target_more_files": 0,
            },
            {
                "dir_check": "/data",
                "num_total_files": 300,
                "num_different_files": 0,
                "num_target_miss_files": 0,
                "num_target_more_files": 0,
            },
        ],
    }


_CES_NAMESPACE = re.compile(r"[A-Za-z]\w*\.[A-Za-z]\w*")
_CES_NAME = re.compile(r"[A-Za-z][\w-]{0,95}")
_CES_DIMENSION = re.compile(r"[A-Za-z][\w-]{0,31}")


def _metric_problem(item: Any, now_ms: float) -> str | None:
    """Why Cloud Eye would refuse one metric data item, or None."""
    metric = item.get("metric") if isinstance(item, dict) else None
    if not isinstance(metric, dict):
        return "each item needs a metric"
    namespace = str(metric.get("namespace", ""))
    dimensions = metric.get("dimensions") or []
    collect_time, value, ttl = item.get("collect_time"), item.get("value"), item.get("ttl")
    rules = [
        (
            bool(_CES_NAMESPACE.fullmatch(namespace)) and 3 <= len(namespace) <= 32,
            f"invalid namespace {namespace!r}",
        ),
        (
            namespace.split(".", maxsplit=1)[0].upper() not in ("SYS", "AGT", "SRE"),
            f"namespace {namespace!r} is reserved",
        ),
        (
            bool(_CES_NAME.fullmatch(str(metric.get("metric_name", "")))),
            f"invalid metric_name {metric.get('metric_name')!r}",
        ),
        (1 <= len(dimensions) <= 4, "dimensions must hold 1 to 4 items"),
        (
            all(
                isinstance(d, dict)
                and _CES_DIMENSION.fullmatch(str(d.get("name", "")))
                and 1 <= len(str(d.get("value", ""))) <= 256
                for d in dimensions
            ),
            f"invalid dimensions {dimensions!r}",
        ),
        (
            isinstance(ttl, int) and 1 <= ttl <= 604800,
            "ttl must be 1 to 604800 seconds",
        ),
        (
            isinstance(collect_time, int)
            and now_ms - 3 * 86_400_000 < collect_time < now_ms + 600_000,
            "collect_time must be within 3 days before and 10 minutes after now",
        ),
        (
            isinstance(value, (int, float)) and not isinstance(value, bool),
            "value must be a number",
        ),
    ]
    return next((message for fits, message in rules if not fits), None)


@dataclass
class ObsObject:
    data: bytes
    content_type: str
    etag: str


@dataclass
class ObsBucket:
    """A bucket: an object bucket, or a parallel file system ("POSIX", which refuses
    ListObjectsV2, as the function must never need it)."""

    objects: dict[str, ObsObject] = field(default_factory=dict)
    kind: Literal["OBJECT", "POSIX"] = "OBJECT"


class ObsError(ApiError):
    """An OBS error answer: XML, with OBS's own code."""


@dataclass
class SmsBackend:
    """What the emulated SMS service and its gateway know and do."""

    credentials: dict[str, str] = field(default_factory=lambda: {DEMO_ACCESS_KEY: DEMO_SECRET_KEY})
    latency: float = 0.0
    max_request_bytes: int = 10240
    max_items: int = 200
    max_field_length: int = 255
    calls: list[ExportCall] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    listings: list[dict[str, str]] = field(default_factory=list)  # query of each ListServers
    smn_messages: list[dict[str, Any]] = field(default_factory=list)  # SMN PublishMessage
    metric_data: list[dict[str, Any]] = field(default_factory=list)  # Cloud Eye, as sent
    obs_buckets: dict[str, ObsBucket] = field(default_factory=dict)
    obs_requests: list[dict[str, Any]] = field(default_factory=list)  # method, bucket, headers
    # ShowConsistencyResult: the checks of each task (default: one, from check_of), and
    # whether result_list holds them as objects or as JSON strings (the docs show both).
    checks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    result_shape: Literal["objects", "strings"] = "objects"
    lookups: list[str] = field(default_factory=list)  # task id of each lookup
    faults: deque[Fault] = field(default_factory=deque)
    # Random faults, besides the scripted ones: each call fails with this probability.
    fail_rate: float = 0.0
    # By task id (in the body or the path) and action (None: any).
    targeted: dict[tuple[str, str | None], deque[Fault]] = field(default_factory=dict)
    hang_seconds: float = 2.0
    # Throttling like the gateway: calls per second per API, counted across every caller
    # (every access key, every process talking to this server), since Huawei's gateway
    # throttles each API per account, not per client. `quotas` is by action name
    # (EXPORT_ACTION, LOOKUP_ACTION, …); `rate_limit` is the quota of every API `quotas`
    # does not name (0: no limit). OBS is not behind the gateway.
    rate_limit: float = 0.0
    quotas: dict[str, float] = field(default_factory=dict)
    _admitted: dict[str, deque[float]] = field(default_factory=dict)
    # The quota's clock: tests stop it, so that "in the same second" does not depend on
    # how fast a loaded machine makes the calls.
    clock: Callable[[], float] = time.monotonic
    # HTTP status of every answer by action (0: the connection was dropped), for tallies.
    answers: dict[str, Counter[int]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    auth_failures: list[SignatureRejected] = field(default_factory=list)
    max_in_flight: int = 0
    _in_flight: int = 0
    _failures_by_key: dict[str, int] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting -------------------------------------------------------------------------
    def inject(self, *faults: Fault, action: str | None = None) -> None:
        """Faults for the next calls, of any action or only of `action`."""
        with self._lock:
            if action is None:
                self.faults.extend(faults)
            else:
                self.targeted.setdefault(("*", action), deque()).extend(faults)

    def inject_for(self, task_id: str, *faults: Fault, action: str | None = None) -> None:
        """Faults for the next calls whose request names `task_id` (one batch, whatever
        order the batches run in), of any action or only of `action`."""
        with self._lock:
            self.targeted.setdefault((task_id, action), deque()).extend(faults)

    def next_fault(
        self, body: bytes = b"", task_id: str | None = None, action: str | None = None
    ) -> Fault | None:
        """The fault for a call: by its body's task ids, or the task id in its path."""
        with self._lock:
            named = [task_id] if task_id else self._task_ids(body)
            for key in [("*", action)] + [(n, a) for n in named for a in (action, None)]:
                if self.targeted.get(key):
                    return self.targeted[key].popleft()
            if self.faults:
                return self.faults.popleft()
            if self.fail_rate and self.rng.random() < self.fail_rate:
                return self.rng.choice(
                    [
                        Fault.throttle(),
                        Fault.server_error(500),
                        Fault.server_error(503),
                        Fault.drop_connection(),
                        Fault.hang(self.hang_seconds),
                        Fault.cut_download(),
                    ]
                )
            return None

    # -- gateway ---------------------------------------------------------------------------
    def admit(self, action: str) -> Fault | None:
        """The gateway's quota, checked before the call reaches the service: a throttle if
        `action` was let through `quota` times in the last second. Throttled calls do not
        count against the quota, as only admitted ones reach the service."""
        quota = self.quotas.get(action, self.rate_limit)
        if not quota:
            return None
        with self._lock:
            admitted = self._admitted.setdefault(action, deque())
            now = self.clock()
            while admitted and now - admitted[0] >= 1.0:
                admitted.popleft()
            if len(admitted) >= quota:
                return Fault.throttle()
            admitted.append(now)
            return None

    def admitted(self, action: str) -> int:
        """How many of `action`'s calls the quota let through in the last second."""
        with self._lock:
            now = self.clock()
            return sum(1 for moment in self._admitted.get(action, ()) if now - moment < 1.0)

    def record_answer(self, action: str, status: int) -> None:
        with self._lock:
            self.answers.setdefault(action, Counter())[status] += 1

    def tally(self, action: str) -> Tally:
        """How `action`'s calls were answered so far, across every caller."""
        with self._lock:
            statuses = Counter(self.answers.get(action, Counter()))
        succeeded = sum(count for status, count in statuses.items() if 200 <= status < 300)
        throttled = statuses[429]
        return Tally(succeeded, throttled, statuses.total() - succeeded - throttled)

    def _task_ids(self, body: bytes) -> list[str]:
        if not self.targeted or not body:
            return []
        try:
            items = json.loads(body).get("task_info", [])
        except (ValueError, AttributeError):
            return []
        return [str(item.get("task_id")) for item in items if isinstance(item, dict)]

    def check_not_locked(self, access_key: str) -> None:
        with self._lock:
            if self._locked_until.get(access_key, 0.0) > time.monotonic():
                raise ApiError(
                    401,
                    "APIGW.0301",
                    "Incorrect IAM authentication information: "
                    "the access key is locked for 5 minutes after repeated failures",
                )

    def record_auth(self, access_key: str | None, rejection: SignatureRejected | None) -> None:
        with self._lock:
            if rejection is not None:
                self.auth_failures.append(rejection)
            if access_key is None:
                return
            if rejection is None:
                self._failures_by_key.pop(access_key, None)
                return
            failures = self._failures_by_key.get(access_key, 0) + 1
            self._failures_by_key[access_key] = failures
            if failures > AK_LOCK_THRESHOLD:
                self._locked_until[access_key] = time.monotonic() + AK_LOCK_SECONDS

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    # -- SMS -------------------------------------------------------------------------------
    def export(self, headers: Mapping[str, str], body: bytes) -> ExportFile:
        """ExportConsistencyResults: validate like the service, then answer with the file."""
        return export_file_for(self._parse_export_body(headers, body))

    def record_export(
        self, request_id: str, access_key: str, headers: Mapping[str, str], body: bytes, status: int
    ) -> None:
        call = ExportCall(request_id, access_key, dict(headers), len(body), _items(body), status)
        with self._lock:
            self.calls.append(call)

    def _parse_export_body(
        self, headers: Mapping[str, str], body: bytes
    ) -> tuple[tuple[str, str, str], ...]:
        if not headers.get("content-type", "").startswith("application/json"):
            raise ApiError(401, "SMS.2006", "Content-Type must be application/json")
        if len(body) > self.max_request_bytes:
            raise ApiError(
                401, "SMS.2004", f"Request content exceeds {self.max_request_bytes} bytes"
            )
        try:
            task_info: Any = json.loads(body)["task_info"]
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "SMS.9999", "Invalid request body: task_info is required") from None
        if not isinstance(task_info, list) or not 1 <= len(task_info) <= self.max_items:
            raise ApiError(400, "SMS.9999", f"task_info must hold 1 to {self.max_items} items")
        items = []
        for item in task_info:
            fields = tuple(
                item.get(name) if isinstance(item, dict) else None
                for name in ("task_id", "source_id", "source_name")
            )
            if not all(
                isinstance(value, str) and 0 < len(value) <= self.max_field_length
                for value in fields
            ):
                raise ApiError(400, "SMS.9999", f"Invalid task_info item: {item!r}")
            items.append((fields[0], fields[1], fields[2]))
        return tuple(items)  # type: ignore[arg-type]

    def add_source(
        self,
        source_id: str,
        name: str,
        task_id: str | None,
        *,
        has_results: bool = True,
        state: str = "finished",
        migproject: str = "default-project",
        enterprise_project_id: str = "0",
    ) -> None:
        """A source server as ListServers describes it (the fields the function reads, and
        the ones its filters match)."""
        self.sources.append(
            {
                "id": source_id,
                "name": name,
                "ip": "192.0.2.10",
                "state": state,
                "os_type": "LINUX",
                "connected": True,
                "migproject": migproject,
                "enterprise_project_id": enterprise_project_id,
                "is_consistency_result_exist": has_results,
                "current_task": {
                    "id": task_id,
                    "name": f"migrate-{name}",
                    "type": "MIGRATE_FILE",
                    "state": "MIGRATE_SUCCESS",
                }
                if task_id
                else None,
            }
        )

    def list_servers(self, query: Mapping[str, str]) -> tuple[int, list[dict[str, Any]]]:
        """ListServers: filter, then page with limit (0 means 200) and offset."""
        with self._lock:
            self.listings.append(dict(query))
        matching = [source for source in self.sources if self._matches(source, query)]
        limit = int(query.get("limit") or 0) or 200
        offset = int(query.get("offset") or 0)
        if not 0 <= limit <= 200 or offset < 0:
            raise ApiError(400, "SMS.9999", "limit must be 0 to 200 and offset at least 0")
        return len(matching), matching[offset : offset + limit]

    @staticmethod
    def _matches(source: Mapping[str, Any], query: Mapping[str, str]) -> bool:
        wanted = query.get("is_consistency_result_exist")
        if wanted is not None and str(source["is_consistency_result_exist"]).lower() != wanted:
            return False
        if "name" in query and query["name"] not in source["name"]:
            return False
        return all(
            str(source[key]) == query[key]
            for key in ("state", "migproject", "enterprise_project_id")
            if key in query
        )

    def consistency_result(self, task_id: str) -> dict[str, Any]:
        """ShowConsistencyResult: a source registered without results has none; any other
        task has its scripted checks, or one made up from its id."""
        with self._lock:
            self.lookups.append(task_id)
        registered = {(source["current_task"] or {}).get("id"): source for source in self.sources}
        if task_id in registered and not registered[task_id]["is_consistency_result_exist"]:
            found: list[dict[str, Any]] = []
        else:
            found = self.checks.get(task_id) or [check_of(task_id)]
        items: list[Any] = (
            [json.dumps(check) for check in found] if self.result_shape == "strings" else found
        )
        return {"task_id": task_id, "result_list": items}

    # -- OBS -------------------------------------------------------------------------------
    def create_bucket(self, name: str, kind: Literal["OBJECT", "POSIX"] = "OBJECT") -> None:
        self.obs_buckets[name] = ObsBucket(kind=kind)

    def put_obs_object(self, bucket: str, key: str, data: bytes, content_type: str = "") -> str:
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self._bucket(bucket).objects[key] = ObsObject(data, content_type, etag)
        return etag

    def get_obs_object(self, bucket: str, key: str) -> ObsObject:
        found = self._bucket(bucket).objects.get(key)
        if found is None:
            raise ObsError(404, "NoSuchKey", "The specified key does not exist.")
        return found

    def list_obs_objects(
        self, bucket: str, query: Mapping[str, str]
    ) -> tuple[list[tuple[str, ObsObject]], bool]:
        """ListObjects (v1): keys after `marker` under `prefix`, at most `max-keys`."""
        found = self._bucket(bucket)
        if "list-type" in query and found.kind == "POSIX":
            raise ObsError(400, "NotSupported", "ListObjectsV2 is not supported for this bucket")
        limit = int(query.get("max-keys") or 1000)
        if not 1 <= limit <= 1000:
            raise ObsError(400, "InvalidArgument", "max-keys must be 1 to 1000")
        prefix, marker = query.get("prefix", ""), query.get("marker", "")
        keys = sorted(k for k in found.objects if k.startswith(prefix) and k > marker)
        return [(key, found.objects[key]) for key in keys[:limit]], len(keys) > limit

    def _bucket(self, name: str) -> ObsBucket:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name):
            raise ObsError(400, "InvalidBucketName", "The specified bucket is not valid.")
        if name not in self.obs_buckets:
            raise ObsError(404, "NoSuchBucket", "The specified bucket does not exist.")
        return self.obs_buckets[name]

    # -- Cloud Eye -------------------------------------------------------------------------
    def put_metric_data(self, project_id: str, body: bytes) -> None:
        """CreateMetricData: checks what Cloud Eye documents, keeps the data."""
        if len(body) > 512 * 1024:
            raise ApiError(400, "ces.0014", "The request body is larger than 512 KB")
        try:
            items = json.loads(body)
        except ValueError:
            raise ApiError(400, "ces.0014", "Invalid request body") from None
        if not isinstance(items, list) or not items:
            raise ApiError(400, "ces.0014", "The body must be a non-empty array")
        now = time.time() * 1000
        for item in items:
            problem = _metric_problem(item, now)
            if problem:
                raise ApiError(400, "ces.0014", problem)
        with self._lock:
            self.metric_data.extend({"project_id": project_id, **item} for item in items)

    # -- SMN -------------------------------------------------------------------------------
    def publish(self, project_id: str, topic_urn: str, body: bytes) -> str:
        """SMN PublishMessage: checks what the real API checks, keeps the message."""
        try:
            message: dict[str, Any] = json.loads(body)
        except ValueError:
            raise ApiError(400, "SMN.0002", "Invalid request body") from None
        if topic_urn.split(":")[3:4] != [project_id]:
            raise ApiError(400, "SMN.0001", "The topic URN does not belong to this project")
        if len(str(message.get("subject", "")).encode()) > 512:
            raise ApiError(400, "SMN.0003", "subject is longer than 512 bytes")
        if not any(
            message.get(key) for key in ("message", "message_structure", "message_template_name")
        ):
            raise ApiError(
                400, "SMN.0004", "message, message_structure or message_template_name is required"
            )
        structure = message.get("message_structure")
        if structure is not None and "default" not in json.loads(structure):
            raise ApiError(400, "SMN.0005", "message_structure must hold a default")
        for key in ("message", "message_structure"):
            if len(str(message.get(key) or "").encode()) > 256 * 1024:
                raise ApiError(400, "SMN.0006", f"{key} is larger than 256 KB")
        message_id = f"{len(self.smn_messages) + 1:032x}"
        with self._lock:
            self.smn_messages.append({"topic_urn": topic_urn, "message_id": message_id, **message})
        return message_id

    # -- views for tests -------------------------------------------------------------------
    def exported_items(self) -> list[tuple[str, str, str]]:
        """Every item of every export call answered with a file, in call order."""
        with self._lock:
            return [item for call in self.calls if call.answered == 200 for item in call.items]
