"""Deterministic resource ids: the same report always gives the same bundle.

Every id is a UUID version 5 of a key within the report: the key is the RFC 6901
JSON Pointer of the fact in ``parsed_data`` (``/lab_results/3``; ``""`` is the whole
report, the DiagnosticReport), or a ``#``-prefixed name for what is not a fact
(``#files/1``, ``#provenance/lab_results/3``), so keys never collide with pointers.
Devices (our service, a parser model) are the same in every bundle and get ids
from their key alone. A resource's id is its UUID and its fullUrl ``urn:uuid:<id>``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from lib.fhir.extensions import BASE

__all__ = ["Entry", "Ids"]

# Fixed for good: changing it changes every id we have ever exported.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)


@dataclass(frozen=True)
class Entry:
    """One bundle entry: the key it was derived from, its fullUrl and its resource."""

    key: str
    full_url: str
    resource: dict[str, Any]


@dataclass(frozen=True)
class Ids:
    """The ids of one report's resources."""

    report_id: str

    def url(self, key: str) -> str:
        """The fullUrl of the resource with ``key`` in this report."""
        return _url(f"report/{self.report_id}\n{key}")

    def entry(self, key: str, resource_type: str, body: dict[str, Any]) -> Entry:
        """An entry for ``body``, with ``resourceType`` and ``id`` put first."""
        return _entry(key, self.url(key), resource_type, body)

    @staticmethod
    def shared_entry(key: str, resource_type: str, body: dict[str, Any]) -> Entry:
        """An entry whose id is the same in every report's bundle (our service, a model)."""
        return _entry(key, _url(f"shared\n{key}"), resource_type, body)


def _url(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def _entry(key: str, full_url: str, resource_type: str, body: dict[str, Any]) -> Entry:
    resource = {"resourceType": resource_type, "id": full_url.removeprefix("urn:uuid:"), **body}
    return Entry(key, full_url, resource)
