"""State and behaviour of the emulated SMN service: PublishMessage, checked as the real API
checks it, and the messages kept for tests to read."""

from __future__ import annotations

import json
import threading
from typing import Any

from emulator.exceptions import ApiError


class SmnService:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []  # as published, with topic_urn and message_id
        self._lock = threading.Lock()

    def publish(self, project_id: str, topic_urn: str, body: bytes) -> str:
        """PublishMessage: checks what the real API checks, keeps the message."""
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
        with self._lock:
            message_id = f"{len(self.messages) + 1:032x}"
            self.messages.append({"topic_urn": topic_urn, "message_id": message_id, **message})
        return message_id
