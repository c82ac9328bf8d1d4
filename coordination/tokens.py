"""Bearer tokens (sign-in sessions, account links, API tokens, saved forms): only their digest is stored."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """Store only a digest of bearer tokens so a database leak does not leak working links."""
    return hashlib.sha256(token.encode()).hexdigest()
