"""State and behaviour of the emulated SMS service (no HTTP here; see responses.py): the
export, ListServers, and the consistency checks that ShowConsistencyResult answers with,
made up from each task's id unless a test scripts them (`SmsService.set_check`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from emulator.exceptions import ApiError

Item = tuple[str, str, str]  # task_id, source_id, source_name
# 2025-12-01T00:00:00Z: when every made-up check finished, in milliseconds as SMS gives it.
DEFAULT_FINISHED_TIME = 1_764_547_200_000
# SMS documents no values of `check_result` ("The verification execution result", a
# String: /work/shared/reference/fleet-and-quotas.md §7.2 and §9); "success" is the
# emulator's guess for a check that ran.
DEFAULT_CHECK_RESULT = "success"
# SMS names the SMS-Agent install directory and /var/log as directories that legitimately
# differ (fleet-and-quotas.md §7.3, sms_faq_4246); the documentation gives the agent's
# folder no path, so this one is made up.
AGENT_DIRECTORY = "/opt/cloud/sms-agent"
# Every made-up check's directories and how many files each holds, 1,500 in all. They
# stand for separate file systems: SMS checks only the parent of a parent and a child
# named together (§7.3), so nested paths here are not one directory counted twice.
LAYOUT: tuple[tuple[str, int], ...] = (
    ("/", 1020),
    ("/data", 300),
    ("/var/log", 120),
    (AGENT_DIRECTORY, 60),
)
# What the API documents of a check (§7.2): `dir_check` at most 1,024 characters, each
# count 0 to 1,000,000; the agent uploads at most 30 directories per check.
MAX_PATH = 1024
MAX_COUNT = 1_000_000
MAX_DIRECTORIES = 30


@dataclass(frozen=True)
class Directory:
    """One directory of a check (`ConsistencyResult`) and its file counts."""

    path: str  # dir_check
    total: int  # num_total_files
    different: int = 0  # num_different_files
    missing: int = 0  # num_target_miss_files: on the source, not on the target
    extra: int = 0  # num_target_more_files: on the target, not on the source

    def __post_init__(self) -> None:
        if not 0 < len(self.path) <= MAX_PATH:
            raise ValueError(f"dir_check must be 1 to {MAX_PATH} characters: {self.path!r}")
        counts = (self.total, self.different, self.missing, self.extra)
        if not all(0 <= count <= MAX_COUNT for count in counts):
            raise ValueError(f"each count must be 0 to {MAX_COUNT}: {self!r}")

    def as_result(self) -> dict[str, Any]:
        return {
            "dir_check": self.path,
            "num_total_files": self.total,
            "num_different_files": self.different,
            "num_target_miss_files": self.missing,
            "num_target_more_files": self.extra,
        }


def differing_files(task_id: str) -> int:
    """How many files a task's made-up check finds different: none for three tasks in
    four, by a digest of the id, so runs are repeatable."""
    digest = hashlib.sha256(task_id.encode()).digest()
    return 0 if digest[0] % 4 else 1 + digest[1] % 5


def directories_of(task_id: str) -> list[Directory]:
    """The made-up check's directories: LAYOUT, with the task's differing files split
    between `/` and `/data` by a digest of its id (never in the noise directories, so
    that ignoring those changes no made-up verdict)."""
    different = differing_files(task_id)
    in_data = hashlib.sha256(task_id.encode()).digest()[2] % (different + 1)
    differences = {"/": different - in_data, "/data": in_data}
    return [Directory(path, total, differences.get(path, 0)) for path, total in LAYOUT]


def check_of(
    task_id: str,
    finished_time: int = DEFAULT_FINISHED_TIME,
    directories: Sequence[Directory] | None = None,
    check_result: str = DEFAULT_CHECK_RESULT,
) -> dict[str, Any]:
    """One consistency check of a task, in the objects shape of the documentation
    (SDK 3.1.141 to 3.1.184: `{finished_time, check_result, consistency_result}`, §7.1)."""
    chosen = directories_of(task_id) if directories is None else list(directories)
    if len(chosen) > MAX_DIRECTORIES:
        raise ValueError(f"a check holds at most {MAX_DIRECTORIES} directories")
    return {
        "finished_time": finished_time,
        "check_result": check_result,
        "consistency_result": [directory.as_result() for directory in chosen],
    }


def differs(check: Mapping[str, Any]) -> bool:
    """Whether a check (as answered) finds any file different, missing or extra."""
    counted = ("num_different_files", "num_target_miss_files", "num_target_more_files")
    return any(
        isinstance(directory, Mapping) and any(directory.get(name) for name in counted)
        for directory in check.get("consistency_result") or ()
    )


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
    items: tuple[Item, ...]  # what the body asked for, as far as it parses
    answered: int  # HTTP status (200 even if the download was then cut)


def requested_items(body: bytes) -> tuple[Item, ...]:
    """The items an export body asks for, as far as it parses."""
    try:
        task_info = json.loads(body)["task_info"]
        return tuple(
            (str(item["task_id"]), str(item["source_id"]), str(item["source_name"]))
            for item in task_info
        )
    except (ValueError, KeyError, TypeError):
        return ()


def _made_up_differs(task_id: str) -> bool:
    return differing_files(task_id) > 0


def export_file_for(
    items: Iterable[Item], task_differs: Callable[[str], bool] = _made_up_differs
) -> ExportFile:
    """A results file whose rows are the requested items, so tests can tell batches apart."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task_id", "source_id", "source_name", "consistency"])
    for task_id, source_id, source_name in items:
        verdict = "inconsistent" if task_differs(task_id) else "consistent"
        writer.writerow([task_id, source_id, source_name, verdict])
    content = buffer.getvalue().encode("utf-8")
    name = hashlib.sha256(content).hexdigest()[:12]
    return ExportFile(content, "application/octet-stream", f"consistency-results-{name}.csv")


class SmsService:
    """What the emulated SMS service knows: sources, checks, and the calls it answered.
    Lists and dicts are public for tests to read and script; they change under the lock."""

    def __init__(self) -> None:
        self.max_request_bytes = 10240
        self.max_items = 200
        self.max_field_length = 255
        self.calls: list[ExportCall] = []
        self.sources: list[dict[str, Any]] = []
        self.listings: list[dict[str, str]] = []  # query of each ListServers
        # ShowConsistencyResult: the checks of each task (default: one, from check_of), and
        # whether result_list holds them as objects or as JSON strings (the docs show both).
        self.checks: dict[str, list[dict[str, Any]]] = {}
        self.result_shape: Literal["objects", "strings"] = "objects"
        self.lookups: list[str] = []  # task id of each lookup
        self._lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------
    def set_check(
        self,
        task_id: str,
        directories: Sequence[Directory] | None = None,
        *,
        finished_time: int | datetime = DEFAULT_FINISHED_TIME,
        check_result: str = DEFAULT_CHECK_RESULT,
    ) -> None:
        """Make `task_id`'s check the one given, from the next lookup on (and the next
        export's `consistency` column): its directories (default: the made-up ones), when
        it finished (milliseconds or an aware datetime) and its `check_result`."""
        if isinstance(finished_time, datetime):
            if finished_time.tzinfo is None:
                raise ValueError("finished_time needs a time zone")
            finished_time = round(finished_time.timestamp() * 1000)
        check = check_of(task_id, finished_time, directories, check_result)
        with self._lock:
            self.checks[task_id] = [check]

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
        source = {
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
        with self._lock:
            self.sources.append(source)

    # -- actions ---------------------------------------------------------------------------
    def export(self, headers: Mapping[str, str], body: bytes) -> ExportFile:
        """ExportConsistencyResults: validate like the service, then answer with the file."""
        items = self._parse_export_body(headers, body)
        with self._lock:
            newest = {task_id: self._newest_check(task_id) for task_id, _, _ in items}
        return export_file_for(items, lambda task_id: differs(newest[task_id] or {}))

    def record_export(
        self, request_id: str, access_key: str, headers: Mapping[str, str], body: bytes, status: int
    ) -> None:
        items = requested_items(body)
        call = ExportCall(request_id, access_key, dict(headers), len(body), items, status)
        with self._lock:
            self.calls.append(call)

    def list_servers(self, query: Mapping[str, str]) -> tuple[int, list[dict[str, Any]]]:
        """ListServers: filter, then page with limit (0 means 200) and offset."""
        with self._lock:
            self.listings.append(dict(query))
            matching = [source for source in self.sources if _matches(source, query)]
        limit = int(query.get("limit") or 0) or 200
        offset = int(query.get("offset") or 0)
        if not 0 <= limit <= 200 or offset < 0:
            raise ApiError(400, "SMS.9999", "limit must be 0 to 200 and offset at least 0")
        return len(matching), matching[offset : offset + limit]

    def consistency_result(self, task_id: str) -> dict[str, Any]:
        """ShowConsistencyResult: a source registered without results has none; any other
        task has its scripted checks, or one made up from its id."""
        with self._lock:
            self.lookups.append(task_id)
            found = self._checks_of(task_id)
        items: list[Any] = (
            [json.dumps(check) for check in found] if self.result_shape == "strings" else found
        )
        return {"task_id": task_id, "result_list": items}

    # -- views for tests -------------------------------------------------------------------
    def exported_items(self) -> list[Item]:
        """Every item of every export call answered with a file, in call order."""
        with self._lock:
            return [item for call in self.calls if call.answered == 200 for item in call.items]

    # -- internals -------------------------------------------------------------------------
    def _checks_of(self, task_id: str) -> list[dict[str, Any]]:
        """Under the lock."""
        without_results = any(
            (source["current_task"] or {}).get("id") == task_id
            and not source["is_consistency_result_exist"]
            for source in self.sources
        )
        return [] if without_results else self.checks.get(task_id) or [check_of(task_id)]

    def _newest_check(self, task_id: str) -> dict[str, Any] | None:
        """Under the lock."""
        checks = self._checks_of(task_id)
        return max(checks, key=lambda check: check.get("finished_time") or 0, default=None)

    def _parse_export_body(self, headers: Mapping[str, str], body: bytes) -> tuple[Item, ...]:
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
            fields = [
                item.get(name) if isinstance(item, dict) else None
                for name in ("task_id", "source_id", "source_name")
            ]
            if not all(
                isinstance(value, str) and 0 < len(value) <= self.max_field_length
                for value in fields
            ):
                raise ApiError(400, "SMS.9999", f"Invalid task_info item: {item!r}")
            items.append((str(fields[0]), str(fields[1]), str(fields[2])))
        return tuple(items)


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
