"""A local emulator of the Huawei Cloud endpoints the function calls.

It checks signatures like the real front doors and can be scripted to misbehave. Laid out
like moto: a package per service (`sms`, `smn`, `ces`, `obs`), each with `models.py`
(state and behaviour) and `responses.py` (its URL table and one method per action);
`core.py` (what every service shares); `gateway.py` (what every request meets: signature
checks from `signing.py` and `obs_signing.py`, access-key locks, the shared quota, faults
from `faults.py`); `backend.py` (every service behind the gateway: `SmsBackend`);
`urls.py` (routing) and `server.py` (HTTP).
"""

from emulator.backend import SmsBackend
from emulator.faults import Fault
from emulator.gateway import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, Gateway, Tally
from emulator.server import EmulatorServer
from emulator.sms.models import Directory, ExportCall
from emulator.sms.responses import EXPORT_ACTION, LOOKUP_ACTION

__all__ = [
    "DEMO_ACCESS_KEY",
    "DEMO_SECRET_KEY",
    "EXPORT_ACTION",
    "LOOKUP_ACTION",
    "Directory",
    "EmulatorServer",
    "ExportCall",
    "Fault",
    "Gateway",
    "SmsBackend",
    "Tally",
]
