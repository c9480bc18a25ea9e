"""The gateway in front of every emulated service: what a request meets before a service
sees it. It owns what is cross-cutting, under its own lock: the signature checks
(SDK-HMAC-SHA256 like Huawei's API gateway, OBS's own for OBS), the access-key lock after
repeated failures, the record of refused signatures, the quota shared by every caller
(429 APIGW.0308), latency and the scripted faults."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from emulator import obs_signing, signing
from emulator.core import Answer, Call, ServiceResponse, Signature
from emulator.exceptions import ApiError, SignatureRejected
from emulator.faults import Fault

# The emulator's own made-up key pair, accepted unless told otherwise.
DEMO_ACCESS_KEY = "EMULATOR-AK"
DEMO_SECRET_KEY = "EMULATOR-SK"  # noqa: S105 - not a secret: nothing real accepts it
AK_LOCK_THRESHOLD = 5
AK_LOCK_SECONDS = 300.0
ANY_TASK = "*"


@dataclass(frozen=True)
class Tally:
    """How one API's calls were answered, whoever made them."""

    succeeded: int  # 2xx
    throttled: int  # 429, by the quota or by a scripted fault
    failed: int  # any other answer, or none (a dropped connection)


@dataclass(frozen=True)
class Passage:
    """What the gateway lets out for one request: an answer (None: drop the connection),
    and whether to cut a download half-way."""

    answer: Answer | None
    cut: bool = False


class Gateway:
    """Cross-cutting behaviour of every request. Configuration (credentials, latency,
    quotas, fault rates) is plain attributes a test may set; the state the gateway keeps
    (faults, admissions, answers, refusals, locks) changes only under its lock."""

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        *,
        latency: float = 0.0,
        rate_limit: float = 0.0,
        quotas: dict[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        fail_rate: float = 0.0,
        hang_seconds: float = 2.0,
    ) -> None:
        self.credentials = (
            credentials if credentials is not None else {DEMO_ACCESS_KEY: DEMO_SECRET_KEY}
        )
        self.latency = latency
        # Throttling like Huawei's gateway: calls per second per API, counted across every
        # caller (every access key, every process talking to this server), since it
        # throttles each API per account, not per client. `quotas` is by action name;
        # `rate_limit` is the quota of every API `quotas` does not name (0: no limit).
        # OBS is not behind the gateway.
        self.rate_limit = rate_limit
        self.quotas = quotas if quotas is not None else {}
        # The quota's clock: tests stop it, so that "in the same second" does not depend on
        # how fast a loaded machine makes the calls.
        self.clock = clock
        # Random faults, besides the scripted ones: each call fails with this probability.
        self.fail_rate = fail_rate
        self.hang_seconds = hang_seconds
        self.rng = random.Random()
        self.faults: deque[Fault] = deque()
        # By task id (ANY_TASK: whatever the request names) and action (None: any).
        self.targeted: dict[tuple[str, str | None], deque[Fault]] = {}
        self.auth_failures: list[SignatureRejected] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._admitted: dict[str, deque[float]] = {}
        self._answers: dict[str, Counter[int]] = {}
        self._failures_by_key: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------
    def inject(self, *faults: Fault, action: str | None = None) -> None:
        """Faults for the next calls, of any action or only of `action`."""
        with self._lock:
            if action is None:
                self.faults.extend(faults)
            else:
                self.targeted.setdefault((ANY_TASK, action), deque()).extend(faults)

    def inject_for(self, task_id: str, *faults: Fault, action: str | None = None) -> None:
        """Faults for the next calls whose request names `task_id` (one batch, whatever
        order the batches run in), of any action or only of `action`."""
        with self._lock:
            self.targeted.setdefault((task_id, action), deque()).extend(faults)

    def next_fault(self, action: str, task_ids: Sequence[str] = ()) -> Fault | None:
        """The fault for a call of `action` naming `task_ids`: aimed ones first."""
        with self._lock:
            keys = [(ANY_TASK, action)] + [(t, a) for t in task_ids for a in (action, None)]
            for key in keys:
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

    # -- the quota -------------------------------------------------------------------------
    def admit(self, action: str) -> Fault | None:
        """The quota, checked before the call reaches the service: a throttle if `action`
        was let through `quota` times in the last second. Throttled calls do not count
        against the quota, as only admitted ones reach the service."""
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
        """The HTTP status of an answer (0: the connection was dropped), for tallies."""
        with self._lock:
            self._answers.setdefault(action, Counter())[status] += 1

    def tally(self, action: str) -> Tally:
        """How `action`'s calls were answered so far, across every caller."""
        with self._lock:
            statuses = Counter(self._answers.get(action, Counter()))
        succeeded = sum(count for status, count in statuses.items() if 200 <= status < 300)
        throttled = statuses[429]
        return Tally(succeeded, throttled, statuses.total() - succeeded - throttled)

    # -- signatures ------------------------------------------------------------------------
    def authenticate(
        self, signature: Signature, request: signing.SignedRequest, params: Mapping[str, str]
    ) -> str:
        """The access key that signed `request`, or ApiError as the service would answer.
        Only the API gateway locks an access key after repeated failures; every refusal,
        OBS's too, is recorded."""
        try:
            if signature == "OBS":
                return obs_signing.verify(request, params["bucket"], self.credentials)
            access_key = signing.verify(request, self.credentials)
        except SignatureRejected as rejection:
            self._refuse(rejection, lockable=signature != "OBS")
            status = 403 if signature == "OBS" else 401
            raise ApiError(status, rejection.error_code, rejection.error_msg) from None
        with self._lock:
            # A locked key is refused even when it signs correctly, and that refusal
            # neither counts as a failure nor lifts the lock.
            if self._locked_until.get(access_key, 0.0) > time.monotonic():
                raise ApiError(
                    401,
                    "APIGW.0301",
                    "Incorrect IAM authentication information: "
                    "the access key is locked for 5 minutes after repeated failures",
                )
            self._failures_by_key.pop(access_key, None)
        return access_key

    def _refuse(self, rejection: SignatureRejected, lockable: bool) -> None:
        with self._lock:
            self.auth_failures.append(rejection)
            key = rejection.access_key
            if not lockable or key is None:
                return
            self._failures_by_key[key] = self._failures_by_key.get(key, 0) + 1
            if self._failures_by_key[key] > AK_LOCK_THRESHOLD:
                self._locked_until[key] = time.monotonic() + AK_LOCK_SECONDS

    # -- one request, end to end -----------------------------------------------------------
    def serve(
        self,
        request_id: str,
        request: signing.SignedRequest,
        service: ServiceResponse,
        action: str,
        params: Mapping[str, str],
    ) -> Passage:
        """Authenticate, apply the quota and the faults, let the service answer, record."""
        with self._counted():
            service.received(request, params)
            try:
                access_key = self.authenticate(service.signature, request, params)
            except ApiError as error:
                self.record_answer(action, error.status)
                return Passage(service.error(request_id, error))
            call = Call(request_id, access_key, request, params)
            answer, fault = self._answer(call, action, service)
            self.record_answer(action, 0 if answer is None else answer.status)
            if answer is not None:
                service.answered(action, call, answer.status)
            return Passage(answer, cut=fault is not None and fault.kind == "cut")

    def _answer(
        self, call: Call, action: str, service: ServiceResponse
    ) -> tuple[Answer | None, Fault | None]:
        """The quota (only behind the API gateway), latency, drops, hangs and error answers
        before the action; a cut download is the server's, on the way out. A throttled
        call is answered at once, as the gateway does: it never reaches the service, so it
        costs none of the service's latency."""
        fault = self.admit(action) if service.signature == "SDK-HMAC-SHA256" else None
        if fault is None:
            fault = self.next_fault(action, service.task_ids(call))
        if self.latency and not (fault is not None and fault.from_gateway):
            time.sleep(self.latency)
        if fault is not None and fault.kind == "drop":
            return None, fault
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
        try:
            if fault is not None and fault.kind == "status":
                raise ApiError(fault.status, fault.error_code, fault.error_msg)
            return service.dispatch(action, call), fault
        except ApiError as error:
            return service.error(call.request_id, error), fault

    @contextmanager
    def _counted(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
