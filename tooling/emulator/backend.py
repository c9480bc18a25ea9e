"""Every emulated service behind one gateway, as one object a test scripts and reads."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from random import Random
from typing import Any, Generic, Literal, TypeVar, cast, overload

from emulator.ces.models import CesService
from emulator.ces.responses import CesResponse
from emulator.core import ServiceResponse
from emulator.exceptions import SignatureRejected
from emulator.faults import Fault
from emulator.gateway import Gateway
from emulator.obs.models import ObsBucket, ObsService
from emulator.obs.responses import ObsResponse
from emulator.smn.models import SmnService
from emulator.smn.responses import SmnResponse
from emulator.sms.models import ExportCall, SmsService
from emulator.sms.responses import SmsResponse

T = TypeVar("T")


class Forward(Generic[T]):
    """An attribute that is one of a part's own (read and written through), so that the
    names tests have always used keep working while the state lives where it belongs."""

    def __init__(self, part: str, name: str = "") -> None:
        self.part = part
        self.name = name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

    @overload
    def __get__(self, instance: None, owner: type) -> Forward[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> Forward[T] | T:
        if instance is None:
            return self
        return cast(T, getattr(getattr(instance, self.part), self.name))

    def __set__(self, instance: object, value: T) -> None:
        setattr(getattr(instance, self.part), self.name, value)


class SmsBackend:
    """The emulated cloud: a backend per service (`sms`, `smn`, `ces`, `obs`) behind one
    `gateway` (signatures, access-key locks, quota, faults). Named after the service the
    function exports from, as the tests have always called it; the attributes below
    forward to the part that owns them."""

    # The gateway's.
    credentials = Forward[dict[str, str]]("gateway")
    latency = Forward[float]("gateway")
    fail_rate = Forward[float]("gateway")
    hang_seconds = Forward[float]("gateway")
    rng = Forward[Random]("gateway")
    faults = Forward[deque[Fault]]("gateway")
    targeted = Forward[dict[tuple[str, str | None], deque[Fault]]]("gateway")
    auth_failures = Forward[list[SignatureRejected]]("gateway")
    max_in_flight = Forward[int]("gateway")
    # SMS's.
    calls = Forward[list[ExportCall]]("sms")
    lookups = Forward[list[str]]("sms")
    listings = Forward[list[dict[str, str]]]("sms")
    checks = Forward[dict[str, list[dict[str, Any]]]]("sms")
    result_shape = Forward[Literal["objects", "strings"]]("sms")
    max_request_bytes = Forward[int]("sms")
    # The others'.
    smn_messages = Forward[list[dict[str, Any]]]("smn", "messages")
    metric_data = Forward[list[dict[str, Any]]]("ces")
    obs_buckets = Forward[dict[str, ObsBucket]]("obs", "buckets")
    obs_requests = Forward[list[dict[str, Any]]]("obs", "requests")

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        *,
        latency: float = 0.0,
        rate_limit: float = 0.0,
        quotas: dict[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        fail_rate: float = 0.0,
    ) -> None:
        self.gateway = Gateway(
            credentials,
            latency=latency,
            rate_limit=rate_limit,
            quotas=quotas,
            clock=clock,
            fail_rate=fail_rate,
        )
        self.sms = SmsService()
        self.smn = SmnService()
        self.ces = CesService()
        self.obs = ObsService()
        # Exported so that a test can call them directly, as the tests have always done.
        self.inject = self.gateway.inject
        self.inject_for = self.gateway.inject_for
        self.tally = self.gateway.tally
        self.admitted = self.gateway.admitted
        self.add_source = self.sms.add_source
        self.exported_items = self.sms.exported_items
        self.put_metric_data = self.ces.put_metric_data
        self.create_bucket = self.obs.create_bucket
        self.put_obs_object = self.obs.put_object

    def services(self) -> tuple[ServiceResponse, ...]:
        """Each service's wire format, bound to its backend."""
        return (
            SmsResponse(self.sms),
            SmnResponse(self.smn),
            CesResponse(self.ces),
            ObsResponse(self.obs),
        )
