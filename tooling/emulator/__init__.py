"""A local emulator of the Huawei Cloud endpoints the function calls.

It checks SDK-HMAC-SHA256 signatures like the API gateway and can be scripted to
misbehave. Laid out like a moto service: `models` (state and behaviour), `responses`
(one class per service, one method per action), `urls` (the URL table), `exceptions`, `server` (the
dispatcher: signatures, faults, recording) and `signing` (the gateway check).
"""

from emulator.models import (
    DEMO_ACCESS_KEY,
    DEMO_SECRET_KEY,
    EXPORT_ACTION,
    LOOKUP_ACTION,
    ExportCall,
    Fault,
    SmsBackend,
    Tally,
)
from emulator.server import EmulatorServer

__all__ = [
    "DEMO_ACCESS_KEY",
    "DEMO_SECRET_KEY",
    "EXPORT_ACTION",
    "LOOKUP_ACTION",
    "EmulatorServer",
    "ExportCall",
    "Fault",
    "SmsBackend",
    "Tally",
]
