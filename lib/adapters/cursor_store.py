"""Where a long scan stopped, so the next bounded pass goes on from there (``sweeper_state``)."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from lib.adapters.mongo_client import mongo_call

SWEEPER_STATE = "sweeper_state"


class CursorStore:
    """Named markers, one document each: ``{"_id": name, "marker": str | None}``."""

    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self._state = db[SWEEPER_STATE]

    def get(self, name: str) -> str | None:
        """The saved marker, or ``None`` (start from the beginning)."""
        doc = mongo_call(lambda: self._state.find_one({"_id": name}))
        return None if doc is None else doc.get("marker")

    def put(self, name: str, marker: str | None) -> None:
        """Save where the scan goes on next time (``None``: from the beginning)."""
        mongo_call(lambda: self._state.replace_one({"_id": name}, {"marker": marker}, upsert=True))
