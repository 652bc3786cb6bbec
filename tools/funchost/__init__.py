"""A small local Azure Functions host for the Python v2 programming model (dev and test tooling only).

Loads ``function_app.py``, reads each function's trigger and bindings from
``FunctionApp.get_functions()`` and drives HTTP, Storage queue and timer triggers the way the
Functions host does (host.json, local.settings.json, ``%SETTING%`` tokens, base64 queue messages,
poison queues, NCRONTAB schedules). Run it with ``python -m tools.funchost``; use :class:`Host`
from code. Never deployed.
"""

from .config import HostConfig, HostConfigError, QueueOptions
from .host import Host

__all__ = ["Host", "HostConfig", "HostConfigError", "QueueOptions"]
