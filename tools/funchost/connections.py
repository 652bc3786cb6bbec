"""Storage connections the way the Functions host finds them for queue triggers and bindings.

A binding's ``connection`` names either one app setting holding a connection string or a prefix
shared by identity-based settings (Azure Queue Storage trigger and bindings reference,
"Connections"; Functions developer reference, "Common properties for identity-based connections"):

- ``"X"`` is looked up as ``AzureWebJobsX``, then ``X``; empty means ``AzureWebJobsStorage``. For each
  name, a non-empty setting of exactly that name wins over settings under it ("If the configured
  value is both an exact match for a single setting and a prefix match for other settings, the
  exact match is used"). Names are compared case-insensitively, like .NET configuration keys.
- Identity-based: ``X__queueServiceUri`` (``X__serviceUri`` is an alias; the first wins), or for
  ``AzureWebJobsStorage`` only ``AzureWebJobsStorage__accountName``; ``X__credential`` may only be
  ``managedidentity``; ``X__clientId`` and ``X__managedIdentityResourceId`` exclude each other.

The local host has no managed identity. A queue service URI that points at the storage emulator
(``http://127.0.0.1:<port>/devstoreaccount1``) is connected with the emulator's well-known account
key; any other is refused with a message naming the setting, rather than failing later.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from .config import HostConfigError

log = logging.getLogger("funchost")

# The storage emulator's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

HOST_STORAGE = "AzureWebJobsStorage"
_CREDENTIALS = ("managedidentity",)


def _lookup(environ: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in environ.items() if key.lower() == wanted), None)


def _children(environ: Mapping[str, str], prefix: str) -> dict[str, tuple[str, str]]:
    """Settings ``<prefix>__<property>``: property (lower case) -> (setting name, value)."""
    head = f"{prefix.lower()}__"
    return {
        key[len(head) :].lower(): (key, value)
        for key, value in environ.items()
        if key.lower().startswith(head)
    }


def resolve_connection(name: str | None, environ: Mapping[str, str] | None = None) -> str:
    """A connection string for a queue binding's ``connection``, as the Functions host resolves it.

    Raises :class:`HostConfigError` naming the setting that is missing or that the local host cannot
    honour.
    """
    environ = os.environ if environ is None else environ
    candidates = [f"AzureWebJobs{name}", name] if name else [HOST_STORAGE]
    for prefix in candidates:
        exact = _lookup(environ, prefix)
        if exact:
            return exact
        children = _children(environ, prefix)
        if children:
            return _identity_connection(prefix, children)
    raise HostConfigError(
        f"storage connection {name!r}: none of the app settings {candidates} is set, "
        f"nor identity-based settings such as {candidates[-1]}__queueServiceUri"
    )


def _identity_connection(prefix: str, children: dict[str, tuple[str, str]]) -> str:
    credential = children.get("credential")
    if credential and credential[1].strip().lower() not in _CREDENTIALS:
        raise HostConfigError(
            f"{credential[0]}={credential[1]!r}: the Functions host accepts only 'managedidentity' here"
        )
    if "clientid" in children and "managedidentityresourceid" in children:
        raise HostConfigError(
            f"{children['clientid'][0]} and {children['managedidentityresourceid'][0]}: "
            "set only one of them to choose the managed identity"
        )
    uri = children.get("queueserviceuri") or children.get("serviceuri")
    if uri is None and prefix.lower() == HOST_STORAGE.lower() and "accountname" in children:
        setting, account = children["accountname"]
        uri = (setting, f"https://{account}.queue.core.windows.net")
    if uri is None or not uri[1].strip():
        raise HostConfigError(
            f"identity-based connection {prefix!r} has no queue service URI: set {prefix}__queueServiceUri "
            f"(or {prefix}__serviceUri); found only {', '.join(sorted(s for s, _ in children.values()))}"
        )
    setting, value = uri
    endpoint = value.strip().rstrip("/")
    if not _is_emulator(endpoint):
        raise HostConfigError(
            f"{setting}={value}: the local host has no managed identity, so it connects identity-based "
            f"settings only to the storage emulator (http://127.0.0.1:10001/{AZURITE_ACCOUNT}); "
            f"point {setting} there, or set {prefix} to a connection string"
        )
    log.info("Connection %s: %s points at the storage emulator; using its account key", prefix, setting)
    return (
        f"DefaultEndpointsProtocol={urlsplit(endpoint).scheme};AccountName={AZURITE_ACCOUNT};"
        f"AccountKey={AZURITE_KEY};QueueEndpoint={endpoint};"
    )


def _is_emulator(endpoint: str) -> bool:
    """A path-style Azurite URL on this machine: ``http(s)://<loopback>:<port>/devstoreaccount1``."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or parts.hostname is None:
        return False
    try:
        loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
    return loopback and parts.path.strip("/") == AZURITE_ACCOUNT
