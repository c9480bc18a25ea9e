"""Which action of which service answers a request. A virtual-hosted service (OBS:
`<bucket>.obs.<region>.…`) is found by its host; the API gateway's services by path alone.
Each service's own table is beside its actions (`<service>/responses.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emulator.core import ServiceResponse


@dataclass(frozen=True)
class Route:
    service: ServiceResponse
    action: str
    params: dict[str, str]


class Router:
    def __init__(self, services: Sequence[ServiceResponse]) -> None:
        self.services = tuple(services)

    def route(self, method: str, host: str, path: str) -> Route | None:
        for service, host_params in self._candidates(host):
            for rule_method, pattern, action in service.urls:
                found = pattern.fullmatch(path)
                if rule_method == method and found is not None:
                    return Route(service, action, {**found.groupdict(), **host_params})
        return None

    def _candidates(self, host: str) -> list[tuple[ServiceResponse, dict[str, str]]]:
        """The virtual-hosted service this host names, with what its host says; else every
        service addressed by path alone."""
        for service in self.services:
            found = service.host.fullmatch(host) if service.host is not None else None
            if found is not None:
                return [(service, found.groupdict())]
        return [(service, {}) for service in self.services if service.host is None]
