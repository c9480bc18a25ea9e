"""Configuration: environment variables (and FunctionGraph user data), validated by pydantic.

A plain pydantic model over the variables named like its fields, rather than
pydantic-settings: its import alone (about 80 ms, much of it asyncio for sources this
function never uses) was a third of the cold start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Json,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from sms_export.core.errors import ConfigurationError
from sms_export.core.models import IdFormat

API_MAX_ITEMS = 200
MetricsMode = Literal["auto", "emf", "ces", "off"]
# Cloud Eye: "service.item", each part a letter then letters, digits or _, 3 to 32 in all.
CES_NAMESPACE = re.compile(r"(?!(?:SYS|AGT|SRE)\.)[A-Za-z]\w*\.[A-Za-z]\w*", re.ASCII)
CREDENTIAL_FIELDS = (
    "cloud_sdk_ak",
    "cloud_sdk_sk",
    "huaweicloud_sdk_ak",
    "huaweicloud_sdk_sk",
    "huaweicloud_sdk_security_token",
)


def key_text(value: str) -> str:
    """An access key, secret key or token as signed: keys and tokens never hold whitespace,
    so whitespace around one is an accident of how it was set (Terraform's file() keeps the
    file's last newline, a pasted key brings the Enter) and is dropped, where the HTTP
    library would refuse the header on every call and quote it, key and all, in its error.
    Whitespace or a control character inside is a damaged key: no guess is made, and the
    error (ValueError, raised as a ConfigurationError naming the variable) never holds the
    value."""
    key = value.strip()
    inside = next((i for i, ch in enumerate(key, 1) if ch.isspace() or not ch.isprintable()), None)
    if inside is not None:
        raise ValueError(
            f"holds whitespace or a control character at position {inside} of "
            f"{len(key)}: a key is one word; set it again"
        )
    return key


class Settings(BaseModel):
    """Every setting is an environment variable of the same name in upper case."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # SMS API
    sms_region: str = "cn-north-4"
    sms_endpoint: str | None = None
    sms_language: str | None = None
    sms_connect_timeout: float = Field(10.0, gt=0)
    sms_read_timeout: float = Field(60.0, gt=0)

    # Credentials, in the order they are tried (see credentials.py)
    cloud_sdk_ak: SecretStr | None = None
    cloud_sdk_sk: SecretStr | None = None
    huaweicloud_sdk_ak: SecretStr | None = None
    huaweicloud_sdk_sk: SecretStr | None = None
    huaweicloud_sdk_security_token: SecretStr | None = None
    huaweicloud_sdk_project_id: str | None = None
    # On AWS: a Secrets Manager secret holding {"ak": …, "sk": …, "project_id": …}
    huawei_credentials_secret: str | None = None

    # Batching, concurrency and retries
    batch_size: int = Field(API_MAX_ITEMS, ge=1, le=API_MAX_ITEMS)
    max_request_bytes: int = Field(10240, ge=1024)
    max_concurrency: int = Field(4, ge=1, le=32)
    max_attempts: int = Field(5, ge=1, le=10)
    retry_base_seconds: float = Field(2.0, ge=0)
    retry_max_seconds: float = Field(30.0, ge=0)
    # After a 429: a full jitter from 0 to this, then the call's slot at the lowered rate,
    # for as long as the deadline allows; it does not count against MAX_ATTEMPTS.
    retry_throttle_base_seconds: float = Field(0.5, ge=0)
    # Each instance adapts its calls per second to the 429s it gets; this caps it, for
    # operators who know their quota (quota ÷ instances).
    max_calls_per_second: float | None = Field(None, gt=0)
    # Stop starting batches when less than this is left before the function's timeout, so
    # that the outcome is still stored, logged and notified.
    deadline_margin_seconds: float = Field(30.0, ge=0)

    # Input files: uploads outside INPUT_PREFIX are ignored (the deployment's trigger should
    # filter them already; this keeps the function's own files from feeding it)
    input_prefix: str = ""
    max_input_bytes: int = Field(10 * 1024 * 1024, ge=1)
    max_rows: int = Field(100_000, ge=1)
    strict_validation: bool = False
    # "uuid": task and source ids must be UUIDs, as SMS ids are; "any": any ASCII text
    id_format: IdFormat = "uuid"

    # After the exports: ask SMS for each exported source's newest consistency check
    consistency_summary: bool = True
    # Known noise: shell-style patterns (comma-separated) of check directories whose files
    # count in no verdict, as SMS documents that some directories legitimately differ
    ignore_directories: tuple[str, ...] = ()
    # A newest check that finished longer ago than this is no verdict (unknown); 0 is off
    max_check_age_hours: float = Field(0, ge=0)

    # Where exports go: a bucket (S3, or OBS through STORAGE_ENDPOINT and OBS's own SDK) or a
    # local folder
    export_bucket: str | None = None
    export_prefix: str = "consistency-results/"
    export_dir: str | None = None
    storage_endpoint: str | None = None

    # What a timer or a Scheduled Event exports: ListServers filters, as JSON
    discover_filters: Json[dict[str, Any]] | None = None

    # Metrics per input: "auto" is EMF on Lambda, Cloud Eye on FunctionGraph, none locally
    metrics: MetricsMode = "auto"
    metrics_namespace: str = "SmsExport.Consistency"
    ces_endpoint: str | None = None  # overrides the region's Cloud Eye endpoint (an emulator)

    # Where the outcome is published: an SNS topic ARN or an SMN topic URN
    notify_topic: str | None = None
    smn_endpoint: str | None = None  # overrides the region's SMN endpoint (an emulator)

    @field_validator(*CREDENTIAL_FIELDS, mode="before")
    @classmethod
    def _key_is_one_word(cls, value: object) -> object:
        # Only whitespace is as good as empty: not set, as an empty variable is.
        return (key_text(value) or None) if isinstance(value, str) else value

    @field_validator("ignore_directories", mode="before")
    @classmethod
    def _patterns_from_a_list(cls, value: object) -> object:
        # Spaces around a comma are how people write lists, never part of a path's pattern.
        if isinstance(value, str):
            return tuple(pattern.strip() for pattern in value.split(",") if pattern.strip())
        return value

    @field_validator("export_prefix", "input_prefix")
    @classmethod
    def _prefix_is_a_folder(cls, value: str) -> str:
        value = value.lstrip("/")
        return value if not value or value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _namespace_fits_cloud_eye(self) -> Settings:
        namespace = self.metrics_namespace
        if self.metrics in ("auto", "ces") and not (
            CES_NAMESPACE.fullmatch(namespace) and 3 <= len(namespace) <= 32
        ):
            raise ValueError(
                "METRICS_NAMESPACE must be Cloud Eye's service.item form (a letter, then "
                "letters, digits or _, on each side of one dot; 3 to 32 characters; not "
                f"SYS., AGT. or SRE.), not {namespace!r}; or set METRICS=emf or off"
            )
        return self

    @field_validator("notify_topic")
    @classmethod
    def _topic_is_known(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = value.split(":")
        sns = value.startswith("arn:") and len(parts) == 6 and parts[2] == "sns"
        smn = value.startswith("urn:smn:") and len(parts) == 5 and all(parts)
        if not (sns or smn):
            raise ValueError(
                "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>) "
                "or an SMN topic URN (urn:smn:<region>:<project_id>:<name>)"
            )
        return value

    @property
    def storage_scheme(self) -> str:
        """How object URIs are written in outcomes: OBS through its endpoint, else S3."""
        return "obs" if self.storage_endpoint else "s3"

    @classmethod
    def load_or_none(cls, user_data: Callable[[str], str | None] | None = None) -> Settings | None:
        try:
            return cls.load(user_data)
        except ConfigurationError:
            return None

    @classmethod
    def load(
        cls,
        user_data: Callable[[str], str | None] | None = None,
        overrides: Mapping[str, str | None] | None = None,
    ) -> Settings:
        """Read the settings, turning validation errors into one readable message.

        On FunctionGraph, `user_data` is `context.getUserData`: it also sees the encrypted
        settings, which never reach the environment. The environment wins where both exist;
        `overrides` (by variable name, as the command line's options give them) win over
        both.
        """
        chosen = {name.lower(): value for name, value in (overrides or {}).items()}
        values: dict[str, str] = {}
        for name in cls.model_fields:
            value = (
                chosen.get(name)
                or os.environ.get(name.upper())
                or (user_data(name.upper()) if user_data else None)
            )
            if value:  # an empty variable means "not set", as in consoles and templates
                values[name] = str(value)
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
                for item in error.errors()
            )
            raise ConfigurationError(f"Invalid configuration: {problems}") from None
