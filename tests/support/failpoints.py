"""Server-side fault injection with ``configureFailPoint`` (SecantusDB or mongod with test commands)."""

from __future__ import annotations

from typing import Any

from pymongo import MongoClient


class FailPoints:
    """Turns the ``failCommand`` fail point on for chosen commands; :meth:`clear` turns it off."""

    def __init__(self, client: MongoClient[dict[str, Any]]) -> None:
        self._admin = client.admin

    def throttle(self, commands: list[str], times: int, retry_after_ms: int = 5) -> None:
        """Answer the next ``times`` of ``commands`` with Cosmos DB's throttling error 16500."""
        self._set(
            {"times": times},
            {
                "failCommands": commands,
                "errorCode": 16500,
                "errmsg": f"Request rate is large. RetryAfterMs={retry_after_ms}",
            },
        )

    def close_connection(self, commands: list[str], times: int) -> None:
        """Drop the connection instead of answering the next ``times`` of ``commands``."""
        self._set({"times": times}, {"failCommands": commands, "closeConnection": True})

    def write_concern_timeout(self, commands: list[str], times: int) -> None:
        """Apply the next ``times`` writes of ``commands``, then answer "waiting for replication timed out"."""
        self._set(
            {"times": times},
            {
                "failCommands": commands,
                "writeConcernError": {
                    "code": 64,
                    "errmsg": "waiting for replication timed out",
                    "errInfo": {"wtimeout": True},
                },
            },
        )

    def clear(self) -> None:
        self._admin.command("configureFailPoint", "failCommand", mode="off")

    def _set(self, mode: dict[str, Any], data: dict[str, Any]) -> None:
        self._admin.command("configureFailPoint", "failCommand", mode=mode, data=data)
