"""Import ``function_app.py`` and describe each function by its trigger and bindings.

Nothing here knows a particular app: the trigger type and the binding attributes read from
``FunctionApp.get_functions()`` decide how a function is driven.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func

from .config import HostConfigError

log = logging.getLogger("funchost")

HTTP, QUEUE, TIMER = "httpTrigger", "queueTrigger", "timerTrigger"
SUPPORTED_TRIGGERS = (HTTP, QUEUE, TIMER)
SUPPORTED_OUTPUTS = ("http", "queue")
Writer = Callable[[Any], Awaitable[None]]
_OUT = 1  # BindingDirection.OUT


@dataclass
class FunctionInfo:
    """One function of the app: its callable, trigger binding and output bindings."""

    name: str
    func: Callable[..., Any]
    trigger: Any  # an azure.functions.decorators Trigger: .type, .name and the trigger's attributes
    outputs: list[Any] = field(default_factory=list)  # output bindings other than the HTTP response
    is_async: bool = False
    # Output binding name -> the writer the host made for it ("$return" for the return value).
    writers: dict[str, Writer] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The trigger type, e.g. ``httpTrigger``."""
        return str(self.trigger.type)


def import_function_app(app_dir: Path) -> Any:
    """Import ``function_app.py`` from ``app_dir`` (put first on ``sys.path``) as module ``function_app``.

    A fresh module each call, so every host gets its own ``FunctionApp`` object.
    """
    path = app_dir / "function_app.py"
    if not path.exists():
        raise HostConfigError(f"no function_app.py in {app_dir}")
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    spec = importlib.util.spec_from_file_location("function_app", path)
    if spec is None or spec.loader is None:
        raise HostConfigError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_app"] = module
    spec.loader.exec_module(module)
    return module


def find_app(module: Any) -> func.FunctionApp:
    """The one module-level ``azure.functions.FunctionApp`` instance."""
    apps = [value for value in vars(module).values() if isinstance(value, func.FunctionApp)]
    if len(apps) != 1:
        raise HostConfigError(f"function_app.py must define exactly one FunctionApp, found {len(apps)}")
    return apps[0]


def describe(function: Any, enabled: frozenset[str] | None) -> FunctionInfo | None:
    """A :class:`FunctionInfo`, or ``None`` (logged) when the local host cannot or must not run it."""
    name = str(function.get_function_name())
    trigger = function.get_trigger()
    if enabled is not None and name not in enabled:
        log.info("Function %s is not listed in host.json 'functions': not loaded", name)
        return None
    if os.environ.get(f"AzureWebJobs.{name}.Disabled", "").lower() in ("true", "1"):
        log.info("Function %s is disabled by the setting AzureWebJobs.%s.Disabled", name, name)
        return None
    if trigger.type not in SUPPORTED_TRIGGERS:
        log.warning("Function %s: trigger %s is not supported by the local host: skipped", name, trigger.type)
        return None
    outputs = []
    for binding in function.get_bindings():
        if binding is trigger or (binding.type == "http" and binding.name == "$return"):
            continue
        if binding.direction != _OUT or binding.type not in SUPPORTED_OUTPUTS:
            log.warning(
                "Function %s: binding %s (%s) is not supported: skipped", name, binding.name, binding.type
            )
            return None
        outputs.append(binding)
    user_func = function.get_user_function()
    bound = {trigger.name, *(binding.name for binding in outputs)}
    for param in inspect.signature(user_func).parameters.values():
        if param.name not in bound and param.default is inspect.Parameter.empty:
            raise HostConfigError(f"function {name}: parameter {param.name!r} matches no supported binding")
    return FunctionInfo(name, user_func, trigger, outputs, inspect.iscoroutinefunction(user_func))


def load_functions(app_dir: Path, enabled: frozenset[str] | None = None) -> list[FunctionInfo]:
    """Import the app and describe its functions (``get_functions()`` is called exactly once)."""
    app = find_app(import_function_app(app_dir))
    infos = [describe(function, enabled) for function in app.get_functions()]
    return [info for info in infos if info is not None]
