"""API keys: how they look, how they are stored (hashed) and how they are checked.

A key is ``mrp_<key_id>_<secret>``. ``key_id`` is public and indexed, so a
request finds its tenant with one indexed read; only the SHA-256 of ``secret``
is stored, and it is compared in constant time. The secret carries 256 bits of
randomness, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "mrp"
_KEY = re.compile(r"^mrp_(?P<key_id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: ``plaintext`` is shown once and never stored."""

    key_id: str
    plaintext: str
    secret_sha256: str


@dataclass(frozen=True)
class PresentedKey:
    """A key as a client sent it, split into its lookup id and its secret."""

    key_id: str
    secret: str


def issue_key() -> IssuedKey:
    """Create a new random API key."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return IssuedKey(key_id, f"{PREFIX}_{key_id}_{secret}", hash_secret(secret))


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(header_value: str | None) -> PresentedKey | None:
    """Split an ``X-API-Key`` value; ``None`` when it is absent or not shaped like our keys."""
    if not header_value:
        return None
    match = _KEY.match(header_value.strip())
    if match is None:
        return None
    return PresentedKey(match["key_id"], match["secret"])


def secret_matches(presented: PresentedKey, stored_sha256: str) -> bool:
    """Whether the presented secret hashes to the stored hash, compared in constant time."""
    return hmac.compare_digest(hash_secret(presented.secret), stored_sha256)
