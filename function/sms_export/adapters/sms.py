"""The SMS API through the official SDK: one export call, streamed, with errors classified.

The SDK (about 220 ms and 570 modules to import) is imported only when a client is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from functools import partial
from pathlib import PurePosixPath
from typing import Any, TypeVar

from sms_export.adapters.huaweisdk import build_client
from sms_export.core import jsontext
from sms_export.core.errors import (
    CallFailed,
    ConfigurationError,
    CredentialsRefused,
    InputError,
    Throttled,
    TooLarge,
)
from sms_export.core.models import CHUNK_SIZE, HuaweiCredentials, Triple
from sms_export.retry import RetryPolicy
from sms_export.settings import Settings

T = TypeVar("T")
THROTTLED = {"APIGW.0308", "APIG.0308"}  # the gateway of cloud services, and APIG's own
TOO_LARGE = {"SMS.2004"}  # and HTTP 413; APIGW.0201 alone is any malformed request
AUTHENTICATION = {"APIGW.0301", "APIGW.0303", "APIGW.0305"}


@dataclass(frozen=True)
class Download:
    content_type: str
    filename: str | None
    chunks: Iterator[bytes]
    request_id: str | None


def _once(action: Callable[[], T]) -> T:
    return action()


def _filename(content_disposition: str | None) -> str | None:
    if not content_disposition:
        return None
    message = Message()
    message["content-disposition"] = content_disposition
    name = message.get_filename()
    # Only a base name: the server's suggestion must never pick a folder.
    return PurePosixPath(name.replace("\\", "/")).name or None if name else None


def endpoints(settings: Settings) -> list[str]:
    if settings.sms_endpoint:
        return [settings.sms_endpoint]
    from huaweicloudsdksms.v3.region.sms_region import SmsRegion

    try:
        return list(SmsRegion.value_of(settings.sms_region).endpoints)
    except KeyError as error:
        raise ConfigurationError(f"SMS_REGION: {error.args[0]}; or set SMS_ENDPOINT") from None


def classify(error: Exception) -> CallFailed:
    """Map SDK and transport errors to what the retry loop needs to know."""
    import requests
    from huaweicloudsdkcore.exceptions.exceptions import SdkException, ServiceResponseException

    if isinstance(error, CallFailed):
        return error
    if isinstance(error, ServiceResponseException):
        status = int(error.status_code)
        code = str(error.error_code or status)
        kind: type[CallFailed] = CallFailed
        if status == 429 or code in THROTTLED:
            kind = Throttled
        elif status == 413 or code in TOO_LARGE:
            kind = TooLarge
        elif code in AUTHENTICATION or status in (401, 403):
            kind = CredentialsRefused
        return kind(
            code,
            str(error.error_msg or ""),
            http_status=status,
            request_id=error.request_id,
            retryable=status == 429 or status >= 500 or code in THROTTLED,
        )
    # The SDK lets requests' own errors escape (a read timeout is a raw ReadTimeout), and a
    # connection cut mid-download surfaces as ChunkedEncodingError: all worth retrying.
    if isinstance(error, requests.exceptions.InvalidHeader):
        # Refused before it is sent, and refused again on every attempt: a credential or
        # setting holds a character no header may (its message quotes the header: redacted).
        return CallFailed(type(error).__name__, str(error)[:500], retryable=False)
    if isinstance(error, requests.Timeout):
        return CallFailed("ReadTimeout", "The SMS API did not answer in time", retryable=True)
    if isinstance(error, (SdkException, requests.RequestException)):
        detail = getattr(error, "error_msg", None) or str(error) or type(error).__name__
        return CallFailed(type(error).__name__, str(detail)[:500], retryable=True)
    raise error


DISCOVERY_PAGE_SIZE = 100
DISCOVERY_FILTERS = (
    "state",
    "name",
    "migproject",
    "enterprise_project_id",
    "connected",
    "migration_cycle",
)
FILTER_ALIASES = {"migration_project": "migproject", "enterprise_project": "enterprise_project_id"}


def list_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """ListServers query filters from a discovery request, by SDK name or a friendlier alias."""
    chosen = {FILTER_ALIASES.get(name, name): value for name, value in filters.items()}
    unknown = sorted(set(chosen) - set(DISCOVERY_FILTERS))
    if unknown:
        raise InputError(
            "InvalidDiscovery",
            f"Unknown discovery filter {', '.join(unknown)}; use {', '.join(DISCOVERY_FILTERS)}",
        )
    return chosen


class SmsApi:
    def __init__(self, settings: Settings, credentials: HuaweiCredentials) -> None:
        from huaweicloudsdksms.v3 import SmsClient

        self._client = build_client(
            SmsClient,
            credentials,
            endpoints(settings),
            (settings.sms_connect_timeout, settings.sms_read_timeout),
        )
        self._language = settings.sms_language

    def export(self, triples: Sequence[Triple], receive: Callable[[Download], T]) -> T:
        """Export one batch and hand the streamed file to `receive`; raise CallFailed."""
        from huaweicloudsdksms.v3 import (
            BatchConsistencyReq,
            BatchGetConsistencyResultReq,
            ExportConsistencyResultsRequest,
        )

        request = ExportConsistencyResultsRequest(
            x_language=self._language,
            body=BatchGetConsistencyResultReq(
                task_info=[
                    BatchConsistencyReq(
                        task_id=t.task_id, source_id=t.source_id, source_name=t.source_name
                    )
                    for t in triples
                ]
            ),
        )
        received: list[T] = []  # consume_download_stream() drops the callback's result
        try:
            response = self._client.export_consistency_results(request)
            response.consume_download_stream(
                lambda raw: received.append(self._receive(raw, receive))
            )
            return received[0]
        except Exception as error:  # classify() re-raises what it does not know
            raise classify(error) from None

    def consistency_result(self, task_id: str) -> Any:
        """ShowConsistencyResult's answer for one task, as the JSON the server sent (the
        SDK's model turns the checks into Python `repr` strings); raise CallFailed."""
        from huaweicloudsdksms.v3 import ShowConsistencyResultRequest

        request = ShowConsistencyResultRequest(task_id=task_id)
        response = self._call(self._client.show_consistency_result, request)
        try:
            return jsontext.loads(response.raw_content or b"null")
        except ValueError as error:
            raise CallFailed("InvalidAnswer", f"not JSON: {error}"[:200]) from None

    def list_sources(
        self,
        filters: Mapping[str, Any],
        page: int = DISCOVERY_PAGE_SIZE,
        retry: RetryPolicy | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every source with consistency results (ListServers, all pages) as a row."""
        from huaweicloudsdksms.v3 import ListServersRequest

        query = list_filters(filters)
        offset = 0
        while True:
            request = ListServersRequest(
                is_consistency_result_exist=True, limit=page, offset=offset, **query
            )
            call = retry.call if retry is not None else _once
            response = call(partial(self._call, self._client.list_servers, request))
            servers = response.source_servers or []
            for server in servers:
                task = server.current_task
                yield {
                    "task_id": task.id if task else None,
                    "source_id": server.id,
                    "source_name": server.name,
                }
            offset += len(servers)
            if not servers or offset >= (response.count or 0):
                return

    @staticmethod
    def _call(method: Callable[[Any], T], request: Any) -> T:
        try:
            return method(request)
        except Exception as error:  # classify() re-raises what it does not know
            raise classify(error) from None

    @staticmethod
    def _receive(raw: Any, receive: Callable[[Download], T]) -> T:
        with raw:  # releases the pooled connection whatever happens
            request_id = raw.headers.get("X-Request-Id")

            def chunks() -> Iterator[bytes]:
                try:
                    yield from raw.iter_content(CHUNK_SIZE)
                except Exception as error:
                    failure = classify(error)
                    failure.request_id = failure.request_id or request_id
                    raise failure from None

            return receive(
                Download(
                    content_type=raw.headers.get("Content-Type") or "application/octet-stream",
                    filename=_filename(raw.headers.get("Content-Disposition")),
                    chunks=chunks(),
                    request_id=request_id,
                )
            )
