"""A small local Azure Functions host for the Python v2 programming model (dev and test tooling only).

Loads ``function_app.py``, reads each function's trigger and bindings from
``FunctionApp.get_functions()`` and drives HTTP, Storage queue and timer triggers the way the
Functions host does (host.json with ``functionTimeout``, local.settings.json, ``%SETTING%``
tokens, connection strings or identity-based connection settings, base64 queue messages,
visibility renewal, poison queues, NCRONTAB schedules, empty-bodied host errors). README.md
beside this file lists each rule and the Azure source it follows. Run it with
``python -m tools.funchost``; use :class:`Host` from code. Never deployed.
"""

from .config import HostConfig, HostConfigError, QueueOptions
from .host import Host

__all__ = ["Host", "HostConfig", "HostConfigError", "QueueOptions"]
