"""What other areas may use from accounts: creating an account and issuing its set-up link."""

from __future__ import annotations

from .operations import AccountError, create_user, issue_link

__all__ = ["AccountError", "create_user", "issue_link"]
